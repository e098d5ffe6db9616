"""The stock report: movements, balances and stock-outs by period (SPEC §5).

For each location and item over a period: the balance at the start of the
first day, units received, transferred in and out, dispensed, used in kits
and assembled as kits, adjustments by reason, the balance at the end of the
last day, stock-out days and the units that expire within 60 days of the
period's end; beside them the stock now, by the forecast's rules. Each item
that several locations hold gets a row of totals.

The balances are never summed over the whole ledger: the closing balance is
the balance now less the movements after the period, and the opening is the
closing less the movements in it. A stock-out day follows the rule of
``inventory.forecast``: the usable balance was zero at the start and at the
end of the day, and nothing was dispensed.

Whatever the size of the ledger, a report takes three queries: the
movements summed by lot, kind, reason and day (see ``_movements``), the
balances and the items. The stock now is worked out from the same rows, by
the rules of ``forecast.forecasts``, rather than by calling it: the
forecast's orders and policies are not shown here, and its own reading of
the last 90 days would read them twice.
"""

import calendar
import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import models
from django.db.models import Case, F, Q, Sum, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.core.periods import Period
from outpost.inventory.forecast import EXPIRY_WARNING_DAYS, WINDOW_DAYS
from outpost.inventory.models import Location, StockBalance, StockMovement

# The longest period a report covers.
MAX_YEARS = 5
# An item empty all period is still reported where it moved in the days
# before: that is a stock-out, not an item the location never carried.
CARRIED_BEFORE_DAYS = WINDOW_DAYS

Pair = tuple[int, int]  # (location id, item id)
LotKey = tuple[int, int, str]  # (location id, item id, lot)
Cell = str | int | None

ONE_DAY = datetime.timedelta(days=1)
Kind = StockMovement.Kind
Reason = StockMovement.Reason


class Preset(models.TextChoices):
    THIS_MONTH = "this_month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    THIS_QUARTER = "this_quarter", _("This quarter")
    THIS_YEAR = "this_year", _("This year")
    CUSTOM = "custom", _("Dates below")


def expiry_horizon(period: Period) -> datetime.date:
    """The last expiry date counted as "expiring" at the period's end."""
    return period.last + datetime.timedelta(days=EXPIRY_WARNING_DAYS)


def preset_period(preset: str, *, today: datetime.date) -> Period:
    """The dates a preset names; the current month, quarter or year ends today."""
    if preset == Preset.LAST_MONTH:
        end = today.replace(day=1) - ONE_DAY
        return Period(end.replace(day=1), end)
    if preset == Preset.THIS_QUARTER:
        first_month = (today.month - 1) // 3 * 3 + 1
        return Period(today.replace(month=first_month, day=1), today)
    if preset == Preset.THIS_YEAR:
        return Period(today.replace(month=1, day=1), today)
    return Period(today.replace(day=1), today)


def earliest_start(end: datetime.date) -> datetime.date:
    """The first day a period ending on ``end`` may start on: 5 years back."""
    year = end.year - MAX_YEARS
    day = min(end.day, calendar.monthrange(year, end.month)[1])
    return end.replace(year=year, day=day) + ONE_DAY


@dataclass
class Row:
    """One item at one location, or (``location`` None) at all of them."""

    item: Item
    location: Location | None
    opening: int = 0
    received: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    dispensed: int = 0
    used_in_kits: int = 0
    kits_assembled: int = 0
    adjusted: dict[str, int] = field(default_factory=dict)
    closing: int = 0
    stockout_days: int | None = None
    expiring: int = 0
    on_hand: int = 0
    expired: int = 0
    expiring_soon: int = 0
    adc: Fraction = Fraction(0)

    @property
    def is_total(self) -> bool:
        return self.location is None

    @property
    def days_of_stock(self) -> int | None:
        """As in the forecast: whole days the usable stock lasts at today's rate."""
        if self.adc == 0:
            return None
        return math.floor(self.on_hand / self.adc)

    @property
    def moved(self) -> bool:
        return any(self._flows()) or any(self.adjusted.values())

    def _flows(self) -> tuple[int, ...]:
        return (
            self.received,
            self.transferred_in,
            self.transferred_out,
            self.dispensed,
            self.used_in_kits,
            self.kits_assembled,
        )


@dataclass(frozen=True)
class Column:
    label: str | Promise
    value: Callable[[Row], Cell]
    numeric: bool = True
    # The columns of the stock now, shown apart on screen.
    now: bool = False


@dataclass(frozen=True)
class StockReport:
    period: Period
    today: datetime.date
    rows: list[Row]

    def columns(self) -> list[Column]:
        return _columns(self.period, today=self.today)

    def header(self) -> list[str]:
        return [str(column.label) for column in self.columns()]

    def table(self) -> list[list[Cell]]:
        """Every row as cells, in the order of ``header``: screen and files alike."""
        columns = self.columns()
        return [[column.value(row) for column in columns] for row in self.rows]


def _columns(period: Period, *, today: datetime.date) -> list[Column]:
    soon = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    columns = [
        Column(_("Item"), lambda row: row.item.display_name, numeric=False),
        Column(_("Category"), lambda row: row.item.category.display_name, numeric=False),
        Column(
            _("Location"),
            lambda row: gettext("All locations") if row.location is None else row.location.name,
            numeric=False,
        ),
        Column(_("Opening balance"), lambda row: row.opening),
        Column(_("Received"), lambda row: row.received),
        Column(_("Transferred in"), lambda row: row.transferred_in),
        Column(_("Transferred out"), lambda row: row.transferred_out),
        Column(_("Dispensed"), lambda row: row.dispensed),
        Column(_("Used in kits"), lambda row: row.used_in_kits),
        Column(_("Kits assembled"), lambda row: row.kits_assembled),
    ]
    for reason, label in Reason.choices:
        columns.append(
            Column(
                gettext("Adjusted: %(reason)s") % {"reason": label},
                _adjusted_by(reason),
            )
        )
    columns += [
        Column(_("Closing balance"), lambda row: row.closing),
        Column(_("Stock-out days"), lambda row: row.stockout_days),
        Column(
            gettext("Expiring by %(date)s") % {"date": expiry_horizon(period).isoformat()},
            lambda row: row.expiring,
        ),
        Column(_("On hand now"), lambda row: row.on_hand, now=True),
        Column(_("Expired now"), lambda row: row.expired, now=True),
        Column(
            gettext("Now, expiring by %(date)s") % {"date": soon.isoformat()},
            lambda row: row.expiring_soon,
            now=True,
        ),
        Column(_("Days of stock"), lambda row: row.days_of_stock, now=True),
    ]
    return columns


def _adjusted_by(reason: str) -> Callable[[Row], Cell]:
    return lambda row: row.adjusted.get(reason, 0)


@dataclass(frozen=True)
class LotHistory:
    """One lot over a period: its balance the evening before and its daily changes."""

    expires_on: datetime.date | None
    opening: int
    changes: Mapping[datetime.date, int]

    def usable_on(self, day: datetime.date) -> bool:
        return self.expires_on is None or self.expires_on >= day


def stockout_days(
    lots: Sequence[LotHistory],
    dispensed: Mapping[datetime.date, int],
    *,
    period: Period,
) -> int:
    """Days of the period on which the usable balance was zero all day.

    The rule of ``forecast._days_in_stock``, walked from one change to the
    next rather than day by day: between two days with a movement or a lot
    expiring, every day looks the same. The usable balance is kept as a
    running sum, so a day costs its own changes, not a pass over every lot.
    """
    if _dispensed_every_day(dispensed, period=period):
        return 0
    changes: dict[datetime.date, list[tuple[int, int]]] = defaultdict(list)
    expiring: dict[datetime.date, list[int]] = defaultdict(list)
    for index, lot in enumerate(lots):
        for day, units in lot.changes.items():
            changes[day].append((index, units))
        # A lot usable on the first day that expires within the period.
        if lot.expires_on is not None and period.first <= lot.expires_on < period.last:
            expiring[lot.expires_on + ONE_DAY].append(index)
    marks = sorted(
        day
        for day in {period.first, *changes, *expiring, *dispensed}
        if period.first <= day <= period.last
    )
    held = [lot.opening for lot in lots]
    usable = [lot.usable_on(period.first) for lot in lots]
    balance = sum(units for units, ok in zip(held, usable, strict=True) if ok)
    out = 0
    for position, day in enumerate(marks):
        for index in expiring.get(day, ()):
            usable[index] = False
            balance -= held[index]
        at_start = balance
        for index, units in changes.get(day, ()):
            held[index] += units
            if usable[index]:
                balance += units
        if not (at_start > 0 or balance > 0 or dispensed.get(day, 0) > 0):
            out += 1
        # Until the next mark no lot expires and nothing moves: each of
        # those days starts and ends with this evening's balance.
        following = marks[position + 1] if position + 1 < len(marks) else period.last + ONE_DAY
        if not balance > 0:
            out += (following - day).days - 1
    return out


def _dispensed_every_day(dispensed: Mapping[datetime.date, int], *, period: Period) -> bool:
    """A day with units dispensed is in stock, whatever the balance."""
    if len(dispensed) < period.days:
        return False
    days = sum(
        1 for day, units in dispensed.items() if units > 0 and period.first <= day <= period.last
    )
    return days == period.days


def stock_report(
    *,
    locations: Sequence[Location],
    period: Period,
    today: datetime.date,
    category_id: int | None = None,
) -> StockReport:
    """The report for ``locations`` (all of one organisation) over ``period``."""
    by_id = {location.pk: location for location in locations}
    items_filter = Q() if category_id is None else Q(item__category_id=category_id)
    moves = _movements(by_id, period=period, today=today, items=items_filter)
    lots = _lots(by_id, period=period, moves=moves, items=items_filter)
    rows: dict[Pair, Row] = {}
    item_ids = {flow[1] for flow in moves.flows} | {pair[1] for pair in lots.now}
    items = Item.objects.select_related("category").in_bulk(item_ids)

    def row_of(pair: Pair) -> Row:
        if pair not in rows:
            rows[pair] = Row(item=items[pair[1]], location=by_id[pair[0]])
        return rows[pair]

    for (location_id, item_id, kind, reason), units in moves.flows.items():
        _add_flow(row_of((location_id, item_id)), kind=kind, reason=reason, units=units)
    for pair in lots.now.keys() | rows.keys():
        row = row_of(pair)
        row.closing = lots.now.get(pair, 0) - moves.after.get(pair, 0)
        row.opening = row.closing - _net(row)
        if not (row.moved or row.opening or row.closing or pair in moves.carried):
            del rows[pair]
            continue
        row.expiring = lots.expiring.get(pair, 0)
        row.stockout_days = stockout_days(
            lots.in_period.get(pair, []), moves.period.dispensed.get(pair, {}), period=period
        )
        _add_stock_now(
            row,
            lots.at_end_of_today.get(pair, []),
            lots.in_window.get(pair, []),
            moves.window.dispensed.get(pair, {}),
            today=today,
        )
    return StockReport(period=period, today=today, rows=_ordered_with_totals(rows))


@dataclass
class _Days:
    """Each lot's net change per day, and units dispensed per location, item and day."""

    changes: dict[LotKey, dict[datetime.date, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    dispensed: dict[Pair, dict[datetime.date, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def add(self, key: LotKey, day: datetime.date, kind: str, units: int) -> None:
        changes = self.changes[key]
        changes[day] = changes.get(day, 0) + units
        if kind == Kind.DISPENSE:
            dispensed = self.dispensed[key[:2]]
            dispensed[day] = dispensed.get(day, 0) - units


@dataclass
class _Movements:
    """The movements a report reads, summed as ``stock_report`` uses them."""

    # Units by location, item, kind and reason within the period.
    flows: dict[tuple[int, int, str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Locations and items with movements in the days before the period.
    carried: set[Pair] = field(default_factory=set)
    # The net change after the period, by location and item, and by lot.
    after: dict[Pair, int] = field(default_factory=lambda: defaultdict(int))
    lot_after: dict[LotKey, int] = field(default_factory=lambda: defaultdict(int))
    # Each lot's net change after today (dated ahead), for the stock now.
    lot_after_today: dict[LotKey, int] = field(default_factory=lambda: defaultdict(int))
    # Daily changes within the period, and from the forecast's window on.
    period: _Days = field(default_factory=_Days)
    window: _Days = field(default_factory=_Days)


def _movements(
    locations: Mapping[int, Location], *, period: Period, today: datetime.date, items: Q
) -> _Movements:
    """Every movement the report needs, from one query over the ledger.

    The movements are summed by lot, kind, reason and day. Days are kept
    apart only where a daily figure is needed: in the period, for its
    stock-out days, and in the forecast's window, for today's consumption.
    The days before and after those collapse into one day each, so the
    rows grow with the days asked about, not with the ledger.
    """
    window_start = today - datetime.timedelta(days=WINDOW_DAYS - 1)
    carried_since = period.first - datetime.timedelta(days=CARRIED_BEFORE_DAYS)
    since = min(carried_since, window_start)
    day = Case(
        When(occurred_on__lt=min(period.first, window_start), then=Value(since)),
        When(
            occurred_on__gt=period.last,
            occurred_on__lt=window_start,
            then=Value(period.last + ONE_DAY),
        ),
        default=F("occurred_on"),
        output_field=models.DateField(),
    )
    rows = (
        StockMovement.objects.filter(items, location_id__in=locations, occurred_on__gte=since)
        .annotate(day=day)
        .values_list("location_id", "item_id", "lot", "kind", "reason", "day")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    result = _Movements()
    for location_id, item_id, lot, kind, reason, on, units in rows:
        key = (location_id, item_id, lot)
        if on < period.first:
            if on >= carried_since:
                result.carried.add((location_id, item_id))
        elif on <= period.last:
            result.flows[(location_id, item_id, kind, reason)] += units
            result.period.add(key, on, kind, units)
        else:
            result.after[(location_id, item_id)] += units
            result.lot_after[key] += units
        if on >= window_start:
            result.window.add(key, on, kind, units)
        if on > today:
            result.lot_after_today[key] += units
    return result


@dataclass
class _Lots:
    """The lots of each location and item, from their balances now."""

    # Units now, and units of lots expiring soon after the period's end.
    now: dict[Pair, int] = field(default_factory=lambda: defaultdict(int))
    expiring: dict[Pair, int] = field(default_factory=lambda: defaultdict(int))
    # Each lot over the period and over the forecast's window.
    in_period: dict[Pair, list[LotHistory]] = field(default_factory=lambda: defaultdict(list))
    in_window: dict[Pair, list[LotHistory]] = field(default_factory=lambda: defaultdict(list))
    # Each lot's expiry and units at the end of today.
    at_end_of_today: dict[Pair, list[tuple[datetime.date | None, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _lots(
    locations: Mapping[int, Location], *, period: Period, moves: _Movements, items: Q
) -> _Lots:
    """Each lot's balance now, walked back to the period and to the forecast's window."""
    balances = StockBalance.objects.filter(items, location_id__in=locations).values_list(
        "location_id", "item_id", "lot", "expires_on", "quantity"
    )
    horizon = expiry_horizon(period)
    result = _Lots()
    for location_id, item_id, lot, expires_on, quantity in balances:
        pair = (location_id, item_id)
        key = (location_id, item_id, lot)
        result.now[pair] += quantity
        closing = quantity - moves.lot_after.get(key, 0)
        changes = moves.period.changes.get(key, {})
        result.in_period[pair].append(
            LotHistory(expires_on, closing - sum(changes.values()), changes)
        )
        if expires_on is not None and period.last <= expires_on <= horizon:
            result.expiring[pair] += max(closing, 0)
        recent = moves.window.changes.get(key, {})
        result.in_window[pair].append(
            LotHistory(expires_on, quantity - sum(recent.values()), recent)
        )
        later = moves.lot_after_today.get(key, 0)
        result.at_end_of_today[pair].append((expires_on, quantity - later))
    return result


def _add_flow(row: Row, *, kind: str, reason: str, units: int) -> None:
    """Count movements of one kind into the row; flows out count as positive units."""
    if kind == Kind.RECEIPT:
        row.received += units
    elif kind == Kind.TRANSFER_IN:
        row.transferred_in += units
    elif kind == Kind.TRANSFER_OUT:
        row.transferred_out -= units
    elif kind == Kind.DISPENSE:
        row.dispensed -= units
    elif kind == Kind.ASSEMBLY_OUT:
        row.used_in_kits -= units
    elif kind == Kind.ASSEMBLY_IN:
        row.kits_assembled += units
    else:
        row.adjusted[reason] = row.adjusted.get(reason, 0) + units


def _net(row: Row) -> int:
    """The period's change of the balance."""
    return (
        row.received
        + row.transferred_in
        - row.transferred_out
        - row.dispensed
        - row.used_in_kits
        + row.kits_assembled
        + sum(row.adjusted.values())
    )


def _add_stock_now(
    row: Row,
    held: Sequence[tuple[datetime.date | None, int]],
    lots: Sequence[LotHistory],
    dispensed: Mapping[datetime.date, int],
    *,
    today: datetime.date,
) -> None:
    """Today's stock and consumption by the rules of ``forecast.forecasts``.

    ``held`` is each lot's expiry and units at the end of today; ``lots``
    start the evening before the forecast's window and hold its changes,
    ``dispensed`` its units dispensed per day.
    """
    soon = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    for expires_on, units in held:
        if expires_on is not None and expires_on < today:
            row.expired += units
            continue
        row.on_hand += units
        if expires_on is not None and expires_on <= soon:
            row.expiring_soon += units
    used = sum(dispensed.values())
    if used:
        window = Period(today - datetime.timedelta(days=WINDOW_DAYS - 1), today)
        in_stock = window.days - stockout_days(lots, dispensed, period=window)
        row.adc = Fraction(used, in_stock) if in_stock else Fraction(0)


def _ordered_with_totals(rows: Mapping[Pair, Row]) -> list[Row]:
    """Rows by item, then location; an item held at several places gets its total."""
    by_item: dict[int, list[Row]] = defaultdict(list)
    for row in rows.values():
        by_item[row.item.pk].append(row)
    ordered: list[Row] = []
    groups = sorted(
        by_item.values(),
        key=lambda group: (group[0].item.category.code, group[0].item.display_name),
    )
    for group in groups:
        group.sort(key=lambda row: row.location.name if row.location else "")
        ordered += group
        if len(group) > 1:
            ordered.append(_total(group))
    return ordered


def _total(group: Sequence[Row]) -> Row:
    total = Row(item=group[0].item, location=None)
    for row in group:
        total.opening += row.opening
        total.received += row.received
        total.transferred_in += row.transferred_in
        total.transferred_out += row.transferred_out
        total.dispensed += row.dispensed
        total.used_in_kits += row.used_in_kits
        total.kits_assembled += row.kits_assembled
        for reason, units in row.adjusted.items():
            total.adjusted[reason] = total.adjusted.get(reason, 0) + units
        total.closing += row.closing
        total.expiring += row.expiring
        total.on_hand += row.on_hand
        total.expired += row.expired
        total.expiring_soon += row.expiring_soon
        total.adc += row.adc
    # Stock-out days of different places do not add up to a figure of
    # their own; each location's row has them.
    total.stockout_days = None
    return total
