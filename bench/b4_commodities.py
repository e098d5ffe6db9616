"""B4: the commodity report, units by item × location × month with balances.

Outpost answers with ``inventory.reports.stock_report`` for every stock
location of the largest organisation: one call for the last month, and
twelve monthly calls for the year. The peer is hand-written SQL on the
same connection: the movements summed by location, item, month and kind
in one statement, the balances in another, and the months' closing
balances walked back from today's balance in Python.

Compared per location, item and month: opening balance, units received,
units dispensed, closing balance. The report also works out stock-out
days and today's forecast, which the peer does not: its figure is the
floor for the flows and balances alone.
"""

import datetime
from collections import defaultdict

from django.db import connection

from bench.context import Context
from bench.harness import OUTPOST, Case, measure, same_answer
from bench.peers import month_sql
from outpost.core.periods import Period, month_period
from outpost.inventory.models import Location
from outpost.inventory.reports import stock_report

Key = tuple[int, int, str]  # location, item, month
Flows = tuple[int, int, int, int]  # opening, received, dispensed, closing
Answer = dict[Key, Flows]


def run(ctx: Context) -> list[Case]:
    locations = list(Location.objects.filter(org_id=ctx.largest_org).order_by("pk"))
    months = _months(ctx.year)
    cases = []
    for label, periods in (("one month", [ctx.month]), ("a year, month by month", months)):
        case = Case(
            "B4", f"stock report, {label}, largest organisation ({len(locations)} locations)"
        )
        expected = measure(
            case,
            "outpost stock_report (ORM)",
            lambda periods=periods: outpost(locations, periods, ctx.end),  # type: ignore[misc]
            repeat=ctx.repeat,
            role=OUTPOST,
        )
        got = measure(
            case,
            "hand-written SQL",
            lambda periods=periods: hand_written(locations, periods),  # type: ignore[misc]
            repeat=ctx.repeat,
        )
        same_answer(case, "hand-written SQL", expected, got)
        mine, floor = (
            case.get("outpost stock_report (ORM)").median,
            case.get("hand-written SQL").median,
        )
        limit = 0.2 if len(periods) == 1 else 2.0
        case.target(f"≤ {limit:g} s (at L)", mine <= limit, f"{mine:.2f} s")
        case.target("ORM ≤ 1.1 × hand-written SQL", mine <= 1.1 * floor, f"{mine / floor:.2f} ×")
        case.notes.append(f"{len(expected)} location × item × month rows")
        cases.append(case)
    return cases


def _months(year: Period) -> list[Period]:
    months = []
    first = year.first
    while first <= year.last:
        months.append(month_period(first.year, first.month))
        first = months[-1].last + datetime.timedelta(days=1)
    return months


def outpost(locations: list[Location], periods: list[Period], today: datetime.date) -> Answer:
    answer: Answer = {}
    for period in periods:
        report = stock_report(locations=locations, period=period, today=today)
        month = period.first.isoformat()[:7]
        for row in report.rows:
            if row.location is None:
                continue
            flows = (row.opening, row.received, row.dispensed, row.closing)
            if any(flows):
                answer[(row.location.pk, row.item.pk, month)] = flows
    return answer


def hand_written(locations: list[Location], periods: list[Period]) -> Answer:
    ids = [location.pk for location in locations]
    placeholders = ", ".join(["%s"] * len(ids))
    month = month_sql(connection.vendor, "occurred_on")
    first = periods[0].first
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT location_id, item_id, {month} AS month,
                   SUM(CASE WHEN kind = 'receipt' THEN quantity ELSE 0 END),
                   -SUM(CASE WHEN kind = 'dispense' THEN quantity ELSE 0 END),
                   SUM(quantity)
            FROM inventory_stockmovement
            WHERE location_id IN ({placeholders}) AND occurred_on >= %s
            GROUP BY location_id, item_id, {month}
            """,  # noqa: S608 — placeholders and an expression only
            [*ids, first],
        )
        flows = cursor.fetchall()
        cursor.execute(
            "SELECT location_id, item_id, SUM(quantity) FROM inventory_stockbalance "  # noqa: S608
            f"WHERE location_id IN ({placeholders}) GROUP BY location_id, item_id",
            ids,
        )
        balances = cursor.fetchall()
    by_month: dict[tuple[int, int], dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for location_id, item_id, month_key, received, dispensed, net in flows:
        by_month[(location_id, item_id)][str(month_key)] = (
            int(received),
            int(dispensed),
            int(net),
        )
    now = {(location_id, item_id): int(total) for location_id, item_id, total in balances}
    answer: Answer = {}
    wanted = [period.first.isoformat()[:7] for period in periods]
    for pair in set(now) | set(by_month):
        moves = by_month.get(pair, {})
        # Closing of a month: today's balance less everything after it.
        closing = now.get(pair, 0) - sum(net for m, (_, _, net) in moves.items() if m > wanted[-1])
        for month_key in reversed(wanted):
            received, dispensed, net = moves.get(month_key, (0, 0, 0))
            opening = closing - net
            if opening or received or dispensed or closing:
                answer[(pair[0], pair[1], month_key)] = (opening, received, dispensed, closing)
            closing = opening
    return answer
