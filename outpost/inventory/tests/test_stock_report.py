"""The stock report's figures against a small ledger worked out by hand.

February 2026, seen on 2 March 2026. BaseTestCase receives 100 of every
item into the Sumy room store on 2 March (after the period). On top:

Syringe 2 ml
- Sumy room: 500 received 20 Jan → opening 500. 3 Feb: 200 sent to the Bus
  and received there. 10 Feb: 50 dispensed. 15 Feb: 5 lost. 20 Feb: 30
  received, entered late on 2 March. 25 Feb: 40 sent to the Bus. 1 Mar: 20
  dispensed. Closing 500 + 30 − 240 − 50 − 5 = 235; now 235 − 20 + 100 = 315.
- Bus: 240 in, 200 dispensed on 5 Feb → closing 40. Out of stock 1–2 Feb
  (nothing yet) and 6–24 Feb: 2 + 19 = 21 stock-out days.
- Days of stock now (90 days to 2 March): the store dispensed 70 over 42
  days in stock (20 Jan – 2 Mar), ADC 5/3, ⌊315 ÷ 5/3⌋ = 189; the Bus 200
  over 9 days (3–5 Feb, 25 Feb – 2 Mar), ADC 200/9, ⌊40 ÷ 200/9⌋ = 1; both
  together ⌊355 ÷ (5/3 + 200/9)⌋ = ⌊14.86⌋ = 14.

Naloxone at Sumy room
- 5 Jan: 10 of lot N0, expiring 10 Feb → opening 10. 14 Feb: 25 of lot N1,
  expiring 15 Apr. 20 Feb: 20 dispensed (from N1, N0 has expired). 27 Feb:
  the 10 of N0 written off (expiry). Closing 5, all of N1, which expires by
  29 Apr (period end + 60 days).
- 11–13 Feb nothing usable: N0 expired, N1 not arrived: 3 stock-out days.

Safer sex kit (5 condoms, 2 lubricant sachets) at Sumy room
- 15 Jan: 50 condoms, 20 sachets. 12 Feb: 4 kits assembled → condoms used
  20 (closing 30), sachets 8 (closing 12), kits 4 (none before: 11 stock-out
  days).
"""

import datetime
from typing import ClassVar

from django.db import connection
from django.test import SimpleTestCase
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from outpost.catalogue.models import Item, Kit
from outpost.core.periods import Period
from outpost.core.tests.base import BaseTestCase
from outpost.inventory import forecast
from outpost.inventory.actions import (
    adjust_stock,
    assemble_kits,
    dispense_stock,
    receive_stock,
    store_of,
)
from outpost.inventory.models import Location, StockMovement
from outpost.inventory.reports import (
    LotHistory,
    Preset,
    Row,
    earliest_start,
    preset_period,
    stock_report,
    stockout_days,
)
from outpost.inventory.transfers import send_transfer

TODAY = datetime.date(2026, 3, 2)
FEBRUARY = Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
# The movements by lot, kind, reason and day, the balances and the items.
REPORT_QUERIES = 3


def day(month: int, number: int) -> datetime.date:
    return datetime.date(2026, month, number)


class ReportLedgerTestCase(BaseTestCase):
    """The ledger of the module docstring."""

    store: Location
    bus: Location
    naloxone: Item
    lubricant: Item
    kit_item: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.store = store_of(cls.site)
        cls.bus = Location.objects.create(
            org=cls.org, site=cls.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        cls.naloxone = Item.objects.get(org=cls.org, category__code="naloxone")
        cls.lubricant = Item.objects.get(org=cls.org, name="Lubricant sachet")
        safer_sex = Kit.objects.get(org=cls.org, name="Safer sex kit")
        worker = cls.manager
        receive = cls.receive
        receive(cls.syringe, 500, day(1, 20))
        receive(cls.naloxone, 10, day(1, 5), lot="N0", expires_on=day(2, 10))
        receive(cls.condom, 50, day(1, 15))
        receive(cls.lubricant, 20, day(1, 15))
        send_transfer(
            source=cls.store,
            destination=cls.bus,
            lines=[(cls.syringe, 200)],
            worker=worker,
            occurred_on=day(2, 3),
            received_now=True,
        )
        dispense_stock(
            location=cls.bus, lines=[(cls.syringe, 200)], worker=worker, occurred_on=day(2, 5)
        )
        dispense_stock(
            location=cls.store, lines=[(cls.syringe, 50)], worker=worker, occurred_on=day(2, 10)
        )
        assemble_kits(
            location=cls.store, kit=safer_sex, count=4, worker=worker, occurred_on=day(2, 12)
        )
        receive(cls.naloxone, 25, day(2, 14), lot="N1", expires_on=day(4, 15))
        adjust_stock(
            location=cls.store,
            item=cls.syringe,
            lot="",
            quantity=-5,
            reason=StockMovement.Reason.LOSS,
            worker=worker,
            occurred_on=day(2, 15),
        )
        dispense_stock(
            location=cls.store, lines=[(cls.naloxone, 20)], worker=worker, occurred_on=day(2, 20)
        )
        send_transfer(
            source=cls.store,
            destination=cls.bus,
            lines=[(cls.syringe, 40)],
            worker=worker,
            occurred_on=day(2, 25),
            received_now=True,
        )
        adjust_stock(
            location=cls.store,
            item=cls.naloxone,
            lot="N0",
            quantity=-10,
            reason=StockMovement.Reason.EXPIRY,
            worker=worker,
            occurred_on=day(2, 27),
        )
        dispense_stock(
            location=cls.store, lines=[(cls.syringe, 20)], worker=worker, occurred_on=day(3, 1)
        )
        # Entered on 2 March, after everything above, for 20 February.
        receive(cls.syringe, 30, day(2, 20))
        safer_sex.refresh_from_db()
        assert safer_sex.stock_item is not None
        cls.kit_item = safer_sex.stock_item

    @classmethod
    def receive(
        cls,
        item: Item,
        quantity: int,
        on: datetime.date,
        *,
        lot: str = "",
        expires_on: datetime.date | None = None,
    ) -> None:
        receive_stock(
            location=store_of(cls.site),
            item=item,
            quantity=quantity,
            worker=cls.manager,
            lot=lot,
            expires_on=expires_on,
            occurred_on=on,
        )

    def report(
        self, period: Period = FEBRUARY, *, today: datetime.date = TODAY, **kwargs: int
    ) -> dict[tuple[str, str], Row]:
        result = stock_report(
            locations=[self.store, self.bus], period=period, today=today, **kwargs
        )
        return {
            (row.item.name, row.location.name if row.location else "total"): row
            for row in result.rows
        }


class StockReportFigureTests(ReportLedgerTestCase):
    FLOWS: ClassVar[list[str]] = [
        "opening",
        "received",
        "transferred_in",
        "transferred_out",
        "dispensed",
        "used_in_kits",
        "kits_assembled",
        "closing",
        "stockout_days",
        "expiring",
    ]

    def figures(self, row: Row) -> dict[str, object]:
        values: dict[str, object] = {name: getattr(row, name) for name in self.FLOWS}
        values["adjusted"] = {reason: units for reason, units in row.adjusted.items() if units}
        return values

    def test_the_store_syringes_balance_across_a_receipt_entered_late(self) -> None:
        """Opening, flows and closing of the store add up, with the late receipt in February."""
        row = self.report()[("Syringe 2 ml", "Sumy room")]
        self.assertEqual(
            self.figures(row),
            {
                "opening": 500,
                "received": 30,
                "transferred_in": 0,
                "transferred_out": 240,
                "dispensed": 50,
                "used_in_kits": 0,
                "kits_assembled": 0,
                "closing": 235,
                "stockout_days": 0,
                "expiring": 0,
                "adjusted": {"loss": -5},
            },
        )
        self.assertEqual((row.on_hand, row.expired, row.days_of_stock), (315, 0, 189))

    def test_the_bus_counts_what_arrived_and_the_days_it_had_none(self) -> None:
        """The bus had no syringes before 3 February and from 6 to 24 February."""
        row = self.report()[("Syringe 2 ml", "Bus")]
        self.assertEqual(
            (row.opening, row.transferred_in, row.dispensed, row.closing, row.stockout_days),
            (0, 240, 200, 40, 21),
        )
        self.assertEqual((row.on_hand, row.days_of_stock), (40, 1))

    def test_an_item_at_two_places_gets_a_total(self) -> None:
        """The total adds the two places; transfers between them cancel out."""
        rows = self.report()
        total = rows[("Syringe 2 ml", "total")]
        self.assertIs(total.is_total, True)
        self.assertEqual(
            (
                total.opening,
                total.received,
                total.transferred_in,
                total.transferred_out,
                total.dispensed,
                total.closing,
                total.on_hand,
                total.days_of_stock,
            ),
            (500, 30, 240, 240, 250, 275, 355, 14),
        )
        self.assertIsNone(total.stockout_days)
        self.assertNotIn(("Naloxone 0.4 mg/ml ampoule", "total"), rows)

    def test_naloxone_runs_out_while_its_first_lot_has_expired(self) -> None:
        """Expired units are not usable: 11–13 February are stock-out days."""
        row = self.report()[("Naloxone 0.4 mg/ml ampoule", "Sumy room")]
        self.assertEqual(
            self.figures(row),
            {
                "opening": 10,
                "received": 25,
                "transferred_in": 0,
                "transferred_out": 0,
                "dispensed": 20,
                "used_in_kits": 0,
                "kits_assembled": 0,
                "closing": 5,
                "stockout_days": 3,
                "expiring": 5,
                "adjusted": {"expiry": -10},
            },
        )
        self.assertEqual((row.on_hand, row.expired, row.expiring_soon), (105, 0, 5))

    def test_kit_assembly_takes_components_and_adds_kits(self) -> None:
        """Components show as used in kits, the kit item as kits assembled."""
        rows = self.report()
        condoms = rows[("Condom", "Sumy room")]
        sachets = rows[("Lubricant sachet", "Sumy room")]
        kits = rows[(self.kit_item.name, "Sumy room")]
        self.assertEqual((condoms.opening, condoms.used_in_kits, condoms.closing), (50, 20, 30))
        self.assertEqual((sachets.opening, sachets.used_in_kits, sachets.closing), (20, 8, 12))
        self.assertEqual((kits.opening, kits.kits_assembled, kits.closing), (0, 4, 4))
        self.assertEqual(kits.stockout_days, 11)

    def test_items_without_stock_or_movements_in_the_period_are_left_out(self) -> None:
        """Items that arrived only after February do not clutter its report."""
        rows = self.report()
        self.assertEqual(
            [key for key in rows if key[1] != "total"],
            [
                ("Condom", "Sumy room"),
                (self.kit_item.name, "Sumy room"),
                ("Lubricant sachet", "Sumy room"),
                ("Naloxone 0.4 mg/ml ampoule", "Sumy room"),
                ("Syringe 2 ml", "Bus"),
                ("Syringe 2 ml", "Sumy room"),
            ],
        )

    def test_february_closes_where_march_opens(self) -> None:
        """The closing balance of one period is the opening of the next."""
        march = self.report(Period(day(3, 1), TODAY))
        february = self.report()
        for key, row in february.items():
            self.assertEqual(march[key].opening, row.closing, key)
        store = march[("Syringe 2 ml", "Sumy room")]
        self.assertEqual((store.dispensed, store.received, store.closing), (20, 100, 315))

    def test_a_category_narrows_the_report_to_its_items(self) -> None:
        """Choosing naloxone leaves only naloxone."""
        rows = self.report(category_id=self.naloxone.category_id)
        self.assertEqual(list(rows), [("Naloxone 0.4 mg/ml ampoule", "Sumy room")])

    def test_an_empty_item_that_moved_shortly_before_counts_as_out_all_period(self) -> None:
        """The bus had syringes in February and none in April: 30 stock-out days."""
        dispense_stock(
            location=self.bus, lines=[(self.syringe, 40)], worker=self.manager, occurred_on=TODAY
        )
        april = Period(day(4, 1), day(4, 30))
        row = stock_report(locations=[self.bus], period=april, today=TODAY).rows[0]
        self.assertEqual((row.opening, row.closing, row.stockout_days), (0, 0, 30))

    def test_the_stock_now_agrees_with_the_forecast(self) -> None:
        """On hand, expired, expiring soon and consumption are the forecast's, any day.

        On 1 April lot N1 expires within 60 days, on 20 April it has
        expired, and by 1 July February lies before the forecast's window.
        """
        for today in (TODAY, day(4, 1), day(4, 20), day(7, 1)):
            rows = self.report(today=today)
            compared = 0
            for found in forecast.forecasts([self.store, self.bus], today=today):
                row = rows.get((found.item.name, found.location.name))
                if row is None:
                    continue
                compared += 1
                self.assertEqual(
                    (row.on_hand, row.expired, row.expiring_soon, row.adc, row.days_of_stock),
                    (
                        found.on_hand,
                        found.expired,
                        found.expiring_soon,
                        found.adc,
                        found.days_of_stock,
                    ),
                    (today, found.item.name, found.location.name),
                )
            self.assertEqual(compared, 6, today)

    def test_the_period_figures_do_not_depend_on_the_day_asked(self) -> None:
        """Seen in April or July, February shows what it showed on 2 March."""
        seen_then = self.report()
        for today in (day(4, 20), day(7, 1)):
            seen_later = self.report(today=today)
            self.assertEqual(list(seen_later), list(seen_then), today)
            for key, row in seen_then.items():
                self.assertEqual(self.figures(seen_later[key]), self.figures(row), (today, key))


class StockReportQueryTests(ReportLedgerTestCase):
    def count_queries(self, period: Period) -> int:
        with CaptureQueriesContext(connection) as queries:
            stock_report(locations=[self.store, self.bus], period=period, today=TODAY)
        return len(queries)

    def test_takes_the_same_queries_on_a_large_ledger(self) -> None:
        """A year of daily dispensing adds no query."""
        year = Period(day(1, 1), TODAY)
        self.assertEqual(self.count_queries(year), REPORT_QUERIES)
        receive_stock(
            location=self.bus,
            item=self.condom,
            quantity=5000,
            worker=self.manager,
            occurred_on=datetime.date(2025, 1, 1),
        )
        for offset in range(300):
            dispense_stock(
                location=self.bus,
                lines=[(self.condom, 3)],
                worker=self.manager,
                occurred_on=datetime.date(2025, 3, 1) + datetime.timedelta(days=offset),
            )
        with self.assertNumQueries(REPORT_QUERIES):
            stock_report(locations=[self.store, self.bus], period=year, today=TODAY)


class PeriodTests(BaseTestCase):
    def test_presets_end_today_or_cover_last_month(self) -> None:
        """This month, quarter and year run to today; last month is whole."""
        today = datetime.date(2026, 5, 17)
        expected = {
            Preset.THIS_MONTH: Period(day(5, 1), today),
            Preset.LAST_MONTH: Period(day(4, 1), day(4, 30)),
            Preset.THIS_QUARTER: Period(day(4, 1), today),
            Preset.THIS_YEAR: Period(day(1, 1), today),
        }
        for preset, period in expected.items():
            self.assertEqual(preset_period(preset, today=today), period, preset)
        self.assertEqual(
            preset_period(Preset.LAST_MONTH, today=datetime.date(2026, 1, 9)),
            Period(datetime.date(2025, 12, 1), datetime.date(2025, 12, 31)),
        )

    def test_five_years_is_the_longest_period(self) -> None:
        """A period ending 28 Feb 2029 may start on 29 Feb 2024, not a day earlier."""
        self.assertEqual(earliest_start(datetime.date(2029, 2, 28)), datetime.date(2024, 2, 29))
        self.assertEqual(earliest_start(datetime.date(2028, 2, 29)), datetime.date(2023, 3, 1))


def _lots_strategy(start: datetime.date, days: int) -> st.SearchStrategy[list[LotHistory]]:
    window = st.integers(min_value=0, max_value=days - 1).map(
        lambda offset: start + datetime.timedelta(days=offset)
    )
    expiry = st.none() | st.integers(min_value=-5, max_value=days + 5).map(
        lambda offset: start + datetime.timedelta(days=offset)
    )
    lot = st.builds(
        LotHistory,
        expires_on=expiry,
        opening=st.integers(min_value=0, max_value=4),
        changes=st.dictionaries(window, st.integers(min_value=-4, max_value=4), max_size=6),
    )
    return st.lists(lot, max_size=3)


def _walk_day_by_day(
    lots: list[LotHistory], dispensed: dict[datetime.date, int], period: Period
) -> int:
    """The forecast's own day-by-day rule over the same history."""
    as_forecast = []
    for lot in lots:
        by_day = {period.first - datetime.timedelta(days=1): lot.opening}
        running = lot.opening
        current = period.first
        while current <= period.last:
            running += lot.changes.get(current, 0)
            by_day[current] = running
            current += datetime.timedelta(days=1)
        as_forecast.append(forecast.Lot(lot.expires_on, by_day))
    in_stock = forecast._days_in_stock(
        as_forecast, dispensed, start=period.first, today=period.last
    )
    return period.days - in_stock


START = datetime.date(2026, 2, 1)


class StockoutRuleTests(SimpleTestCase):
    @settings(max_examples=300, deadline=None)
    @given(
        days=st.integers(min_value=1, max_value=40),
        data=st.data(),
    )
    def test_matches_the_forecasts_day_by_day_rule(self, days: int, data: st.DataObject) -> None:
        """Walking from change to change counts the same days as walking every day."""
        period = Period(START, START + datetime.timedelta(days=days - 1))
        lots = data.draw(_lots_strategy(START, days))
        on_a_day = st.integers(min_value=0, max_value=days - 1).map(
            lambda offset: START + datetime.timedelta(days=offset)
        )
        # Up to every day, so that days with no dispensing are sometimes none.
        dispensed = data.draw(
            st.dictionaries(on_a_day, st.integers(min_value=0, max_value=3), max_size=days)
        )
        self.assertEqual(
            stockout_days(lots, dispensed, period=period),
            _walk_day_by_day(lots, dispensed, period),
        )
