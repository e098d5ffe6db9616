"""The stock report: movements, balances and stock-outs by period (SPEC §5).

For each location and item over a period: the balance at the start of the
first day, units received, transferred in and out, dispensed, used in kits
and assembled as kits, adjustments by reason, the balance at the end of the
last day, stock-out days and the units that expire within 60 days of the
period's end; beside them the stock now, from the forecast. Each item that
several locations hold gets a row of totals.

The balances are never summed over the whole ledger: the closing balance is
the balance now less the movements after the period, and the opening is the
closing less the movements in it. A stock-out day follows the rule of
``inventory.forecast``: the usable balance was zero at the start and at the
end of the day, and nothing was dispensed.

Whatever the size of the ledger, a report takes four queries (the movements
by kind and reason, the movements by lot and day, the balances, the items)
plus the forecast's own.
"""

import calendar
import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import models
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.core.periods import Period
from outpost.inventory.forecast import EXPIRY_WARNING_DAYS, WINDOW_DAYS, forecasts
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
_BEFORE, _DURING, _AFTER = 0, 1, 2
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
    expiring, every day looks the same.
    """
    held = [lot.opening for lot in lots]
    marks = {period.first}
    for lot in lots:
        marks.update(lot.changes)
        if lot.expires_on is not None and period.first < lot.expires_on + ONE_DAY <= period.last:
            marks.add(lot.expires_on + ONE_DAY)
    marks.update(dispensed)
    ordered = sorted(day for day in marks if period.first <= day <= period.last)
    out = 0
    for index, day in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else period.last + ONE_DAY
        usable = [i for i, lot in enumerate(lots) if lot.usable_on(day)]
        at_start = sum(held[i] for i in usable)
        for i, lot in enumerate(lots):
            held[i] += lot.changes.get(day, 0)
        at_end = sum(held[i] for i in usable)
        if not (at_start > 0 or at_end > 0 or dispensed.get(day, 0) > 0):
            out += 1
        quiet = (following - day).days - 1
        if quiet > 0:
            next_day = day + ONE_DAY
            balance = sum(held[i] for i, lot in enumerate(lots) if lot.usable_on(next_day))
            if not balance > 0:
                out += quiet
    return out


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
    summary = _summary(by_id, period=period, items=items_filter)
    daily = _daily(by_id, period=period, items=items_filter)
    balances = list(
        StockBalance.objects.filter(items_filter, location_id__in=by_id).values_list(
            "location_id", "item_id", "lot", "expires_on", "quantity"
        )
    )
    rows: dict[Pair, Row] = {}
    carried: set[Pair] = set()
    after_net: dict[Pair, int] = defaultdict(int)
    item_ids = {pair[1] for pair in summary} | {balance[1] for balance in balances}
    items = Item.objects.select_related("category").in_bulk(item_ids)

    def row_of(pair: Pair) -> Row:
        if pair not in rows:
            rows[pair] = Row(item=items[pair[1]], location=by_id[pair[0]])
        return rows[pair]

    for (location_id, item_id, kind, reason, when), units in summary.items():
        pair = (location_id, item_id)
        if when == _BEFORE:
            carried.add(pair)
        elif when == _AFTER:
            after_net[pair] += units
        else:
            _add_flow(row_of(pair), kind=kind, reason=reason, units=units)
    lots: dict[Pair, list[LotHistory]] = defaultdict(list)
    current: dict[Pair, int] = defaultdict(int)
    for location_id, item_id, lot, expires_on, quantity in balances:
        pair = (location_id, item_id)
        key = (location_id, item_id, lot)
        current[pair] += quantity
        changes = daily.changes.get(key, {})
        closing = quantity - daily.after.get(key, 0)
        lots[pair].append(LotHistory(expires_on, closing - sum(changes.values()), changes))
        if expires_on is not None and period.last <= expires_on <= expiry_horizon(period):
            row_of(pair).expiring += max(closing, 0)
    for pair in set(current) | set(rows):
        row = row_of(pair)
        row.closing = current[pair] - after_net[pair]
        row.opening = row.closing - _net(row)
        if not (row.moved or row.opening or row.closing or pair in carried):
            del rows[pair]
            continue
        row.stockout_days = stockout_days(lots[pair], daily.dispensed.get(pair, {}), period=period)
    _add_stock_now(rows, locations=locations, today=today)
    return StockReport(period=period, today=today, rows=_ordered_with_totals(rows))


def _summary(
    locations: Mapping[int, Location], *, period: Period, items: Q
) -> dict[tuple[int, int, str, str, int], int]:
    """Units by location, item, kind, reason and before/during/after the period."""
    when = Case(
        When(occurred_on__lt=period.first, then=Value(_BEFORE)),
        When(occurred_on__gt=period.last, then=Value(_AFTER)),
        default=Value(_DURING),
        output_field=IntegerField(),
    )
    since = period.first - datetime.timedelta(days=CARRIED_BEFORE_DAYS)
    rows = (
        StockMovement.objects.filter(items, location_id__in=locations, occurred_on__gte=since)
        .annotate(when=when)
        .values("location_id", "item_id", "kind", "reason", "when")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {
        (row["location_id"], row["item_id"], row["kind"], row["reason"], row["when"]): row["units"]
        for row in rows
    }


@dataclass(frozen=True)
class _Daily:
    # Each lot's net change per day of the period.
    changes: dict[LotKey, dict[datetime.date, int]]
    # Each lot's net change after the period.
    after: dict[LotKey, int]
    # Units dispensed per item, location and day of the period.
    dispensed: dict[Pair, dict[datetime.date, int]]


def _daily(locations: Mapping[int, Location], *, period: Period, items: Q) -> _Daily:
    """Movements from the period's start on, by lot and day; after it, by lot."""
    after = period.last + ONE_DAY
    day = Case(
        When(occurred_on__gt=period.last, then=Value(after)),
        default=F("occurred_on"),
        output_field=models.DateField(),
    )
    rows = (
        StockMovement.objects.filter(
            items, location_id__in=locations, occurred_on__gte=period.first
        )
        .annotate(day=day)
        .values("location_id", "item_id", "lot", "day")
        .annotate(
            net=Sum("quantity"),
            dispensed=Sum(
                Case(
                    When(kind=Kind.DISPENSE, then=-F("quantity")),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
        )
        .order_by()
    )
    result = _Daily(changes=defaultdict(dict), after=defaultdict(int), dispensed=defaultdict(dict))
    for row in rows:
        key = (row["location_id"], row["item_id"], row["lot"])
        if row["day"] >= after:
            result.after[key] += row["net"]
            continue
        result.changes[key][row["day"]] = row["net"]
        if row["dispensed"]:
            by_day = result.dispensed[key[:2]]
            by_day[row["day"]] = by_day.get(row["day"], 0) + row["dispensed"]
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
    rows: Mapping[Pair, Row], *, locations: Sequence[Location], today: datetime.date
) -> None:
    for forecast in forecasts(locations, today=today):
        row = rows.get((forecast.location.pk, forecast.item.pk))
        if row is None:
            continue
        row.on_hand = forecast.on_hand
        row.expired = forecast.expired
        row.expiring_soon = forecast.expiring_soon
        row.adc = forecast.adc


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
