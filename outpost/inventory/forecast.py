"""Stock-out forecasts per item and location (SPEC §5).

- Average daily consumption (ADC): units dispensed at the location over the
  last 90 days (today included), divided by the days among those 90 on which
  the item was in stock.
- A day is a stock-out day when the usable balance was zero all day: at its
  start, at its end, and nothing was dispensed. Any other day is in stock.
- Days of stock = usable on hand ÷ ADC, in whole days; the stock-out date is
  today plus those days.
- Minimum = (lead time + safety) × ADC and maximum = minimum + review period
  × ADC, each rounded up to whole units. When on hand plus on order falls to
  the minimum, the proposed order is maximum − on hand − on order.

Every figure for any number of locations comes from six queries, whatever
the size of the ledger: the balances, the last 90 days of movements summed
per lot and day, the policies, the open orders, the transfers on their way
and the items.
"""

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Case, F, IntegerField, Min, Sum, When

from outpost.catalogue.models import Item
from outpost.inventory.models import (
    Location,
    StockBalance,
    StockMovement,
    StockOrder,
    StockPolicy,
    Transfer,
    TransferLine,
)

WINDOW_DAYS = 90
EXPIRY_WARNING_DAYS = 60

Pair = tuple[int, int]  # (location id, item id)


@dataclass(frozen=True)
class Policy:
    lead_time_days: int
    safety_days: int
    review_days: int


@dataclass(frozen=True)
class Lot:
    expires_on: datetime.date | None
    # End-of-day quantity per date, from the day before the window to today.
    by_day: dict[datetime.date, int]

    def usable_on(self, day: datetime.date) -> bool:
        return self.expires_on is None or self.expires_on >= day


@dataclass(frozen=True)
class Forecast:
    location: Location
    item: Item
    today: datetime.date
    on_hand: int
    expired: int
    expiring_soon: int
    on_order: int
    # The earliest date an open order is expected, if any gives one.
    arrives_on: datetime.date | None
    dispensed: int
    days_in_stock: int
    policy: Policy

    @property
    def adc(self) -> Fraction:
        if self.days_in_stock == 0:
            return Fraction(0)
        return Fraction(self.dispensed, self.days_in_stock)

    @property
    def days_of_stock(self) -> int | None:
        """Whole days the usable stock lasts; None when nothing is used."""
        if self.adc == 0:
            return None
        return math.floor(self.on_hand / self.adc)

    @property
    def stockout_on(self) -> datetime.date | None:
        days = self.days_of_stock
        return None if days is None else self.today + datetime.timedelta(days=days)

    @property
    def minimum(self) -> int:
        return math.ceil((self.policy.lead_time_days + self.policy.safety_days) * self.adc)

    @property
    def maximum(self) -> int:
        return self.minimum + math.ceil(self.policy.review_days * self.adc)

    @property
    def proposed_order(self) -> int:
        available = self.on_hand + self.on_order
        if self.adc == 0 or available > self.minimum:
            return 0
        return max(self.maximum - available, 0)

    @property
    def runs_out_first(self) -> bool:
        """The stock runs out before the first order is expected to arrive."""
        stockout = self.stockout_on
        return stockout is not None and self.arrives_on is not None and stockout < self.arrives_on

    @property
    def at_risk(self) -> bool:
        """Running out: an order is due, or comes too late, or nothing usable is left."""
        return (
            self.proposed_order > 0 or self.runs_out_first or (self.adc > 0 and self.on_hand == 0)
        )

    @property
    def needs_attention(self) -> bool:
        return self.at_risk or self.expired > 0 or self.expiring_soon > 0


def forecasts(locations: Sequence[Location], *, today: datetime.date) -> list[Forecast]:
    """A forecast for every item each location holds, has used or has on order.

    Sorted by days left, the soonest stock-out first; items not in use last.
    """
    by_id = {location.pk: location for location in locations}
    start = today - datetime.timedelta(days=WINDOW_DAYS - 1)
    lots, dispensed = _lots_and_dispensing(by_id, start=start, today=today)
    on_order, arrivals = _on_order(by_id)
    pairs = set(lots) | set(dispensed) | set(on_order)
    items = Item.objects.select_related("category").in_bulk({item_id for _, item_id in pairs})
    policies = _policies(by_id)
    results = []
    for pair in pairs:
        location_id, item_id = pair
        location = by_id[location_id]
        pair_lots = lots.get(pair, [])
        daily = dispensed.get(pair, {})
        usable = [lot for lot in pair_lots if lot.usable_on(today)]
        soon = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
        results.append(
            Forecast(
                location=location,
                item=items[item_id],
                today=today,
                on_hand=sum(lot.by_day[today] for lot in usable),
                expired=sum(lot.by_day[today] for lot in pair_lots if lot not in usable),
                expiring_soon=sum(
                    lot.by_day[today]
                    for lot in usable
                    if lot.expires_on is not None and lot.expires_on <= soon
                ),
                on_order=on_order.get(pair, 0),
                arrives_on=arrivals.get(pair),
                dispensed=sum(daily.values()),
                days_in_stock=_days_in_stock(pair_lots, daily, start=start, today=today),
                policy=policies.get(pair) or _location_policy(location),
            )
        )
    return sorted(results, key=_urgency)


def _urgency(forecast: Forecast) -> tuple[int, float, str, str]:
    days = forecast.days_of_stock
    return (
        0 if forecast.at_risk else 1,
        math.inf if days is None else days,
        forecast.location.name,
        forecast.item.display_name,
    )


def _days_in_stock(
    lots: Sequence[Lot],
    dispensed: dict[datetime.date, int],
    *,
    start: datetime.date,
    today: datetime.date,
) -> int:
    days = 0
    day = start
    while day <= today:
        previous = day - datetime.timedelta(days=1)
        usable = [lot for lot in lots if lot.usable_on(day)]
        at_start = sum(lot.by_day[previous] for lot in usable)
        at_end = sum(lot.by_day[day] for lot in usable)
        if at_start > 0 or at_end > 0 or dispensed.get(day, 0) > 0:
            days += 1
        day += datetime.timedelta(days=1)
    return days


def _lots_and_dispensing(
    locations: dict[int, Location], *, start: datetime.date, today: datetime.date
) -> tuple[dict[Pair, list[Lot]], dict[Pair, dict[datetime.date, int]]]:
    """Each lot's end-of-day balance over the window, and units dispensed per day.

    Balances are walked back from today's, so the ledger before the window
    is never read.
    """
    changes: dict[tuple[int, int, str], dict[datetime.date, int]] = defaultdict(dict)
    dispensed: dict[Pair, dict[datetime.date, int]] = defaultdict(dict)
    window = (
        StockMovement.objects.filter(location_id__in=locations, occurred_on__gte=start)
        .values("location_id", "item_id", "lot", "occurred_on")
        .annotate(
            net=Sum("quantity"),
            out=Sum(
                Case(
                    When(kind=StockMovement.Kind.DISPENSE, then=-F("quantity")),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
        )
        .order_by()
    )
    for row in window:
        pair = (row["location_id"], row["item_id"])
        day = row["occurred_on"]
        changes[(*pair, row["lot"])][day] = row["net"]
        if row["out"]:
            dispensed[pair][day] = dispensed[pair].get(day, 0) + row["out"]
    lots: dict[Pair, list[Lot]] = defaultdict(list)
    balances = StockBalance.objects.filter(location_id__in=locations).values_list(
        "location_id", "item_id", "lot", "expires_on", "quantity"
    )
    for location_id, item_id, lot, expires_on, quantity in balances:
        lot_changes = changes.get((location_id, item_id, lot), {})
        if quantity == 0 and not lot_changes:
            continue
        lots[(location_id, item_id)].append(
            Lot(expires_on, _end_of_day(quantity, lot_changes, start=start, today=today))
        )
    return lots, dispensed


def _end_of_day(
    now: int, changes: dict[datetime.date, int], *, start: datetime.date, today: datetime.date
) -> dict[datetime.date, int]:
    quantity = now - sum(net for day, net in changes.items() if day > today)
    by_day = {}
    day = today
    while day >= start - datetime.timedelta(days=1):
        by_day[day] = quantity
        quantity -= changes.get(day, 0)
        day -= datetime.timedelta(days=1)
    return by_day


def _on_order(
    locations: dict[int, Location],
) -> tuple[dict[Pair, int], dict[Pair, datetime.date]]:
    """Units ordered and not yet arrived, and units on their way from another place;
    and the earliest date an order is expected."""
    totals: dict[Pair, int] = defaultdict(int)
    arrivals: dict[Pair, datetime.date] = {}
    orders = (
        StockOrder.objects.filter(location_id__in=locations, status=StockOrder.Status.OPEN)
        .values("location_id", "item_id")
        .annotate(
            units=Sum(
                Case(
                    When(
                        quantity__gt=F("received_quantity"),
                        then=F("quantity") - F("received_quantity"),
                    ),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
            arrives_on=Min("expected_on"),
        )
        .order_by()
    )
    for row in orders:
        pair = (row["location_id"], row["item_id"])
        totals[pair] += row["units"]
        if row["arrives_on"] is not None:
            arrivals[pair] = row["arrives_on"]
    travelling = (
        TransferLine.objects.filter(
            transfer__destination_id__in=locations, transfer__status=Transfer.Status.IN_TRANSIT
        )
        .values("transfer__destination_id", "item_id")
        .annotate(units=Sum("sent"))
        .order_by()
    )
    for row in travelling:
        totals[(row["transfer__destination_id"], row["item_id"])] += row["units"]
    return totals, arrivals


def _policies(locations: dict[int, Location]) -> dict[Pair, Policy]:
    rows = StockPolicy.objects.filter(location_id__in=locations)
    return {
        (row.location_id, row.item_id): Policy(
            row.lead_time_days, row.safety_days, row.review_days
        )
        for row in rows
    }


def _location_policy(location: Location) -> Policy:
    return Policy(location.lead_time_days, location.safety_days, location.review_days)


def at_risk(forecasts_: Iterable[Forecast]) -> list[Forecast]:
    return [forecast for forecast in forecasts_ if forecast.needs_attention]
