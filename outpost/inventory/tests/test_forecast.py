"""Forecasts against a small history worked out by hand (SPEC §5).

The window is the 90 days ending 2026-03-31: January (31 days), February
(28) and March (31).

Syringes at a fresh store:
- 1 Jan: 100 received.          10 Jan: 30 dispensed.   31 Jan: 70 dispensed → 0.
- February: nothing on hand, nothing dispensed: 28 stock-out days.
- 1 Mar: 200 received.          15 Mar: 60 dispensed → 140 on hand.

Days in stock = 31 + 31 = 62 (31 Jan counts: it began with 70 on hand);
dispensed = 160; ADC = 160 / 62 = 80/31 ≈ 2.58 a day.
Days of stock = ⌊140 ÷ 80/31⌋ = ⌊54.25⌋ = 54 → stock-out on 24 May.
With the defaults (lead 30, safety 14, review 30):
minimum = ⌈44 × 80/31⌉ = ⌈113.5⌉ = 114, maximum = 114 + ⌈30 × 80/31⌉ = 114 + 78 = 192;
140 on hand is above the minimum, so no order is proposed.
"""

import datetime
from fractions import Fraction

from django.test import TestCase

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.inventory.actions import dispense_stock, place_order, receive_stock, store_of
from outpost.inventory.forecast import Forecast, forecasts
from outpost.inventory.models import Location, StockPolicy
from outpost.inventory.transfers import send_transfer
from outpost.orgs.models import User

TODAY = datetime.date(2026, 3, 31)


def day(month: int, number: int) -> datetime.date:
    return datetime.date(2026, month, number)


class ForecastTestCase(TestCase):
    store: Location
    bus: Location
    worker: User
    syringe: Item
    naloxone: Item

    @classmethod
    def setUpTestData(cls) -> None:
        org = make_org("forecast")
        site = make_site(org)
        cls.worker = make_staff(org, "keeper", Role.MANAGER, site)
        cls.store = store_of(site)
        cls.syringe = Item.objects.get(org=org, name="Syringe 2 ml")
        cls.naloxone = Item.objects.get(org=org, category__code="naloxone")
        cls.bus = Location.objects.create(org=org, name="Bus", kind=Location.Kind.MOBILE_UNIT)
        cls.receive(cls.syringe, 100, day(1, 1))
        cls.dispense(cls.syringe, 30, day(1, 10))
        cls.dispense(cls.syringe, 70, day(1, 31))
        cls.receive(cls.syringe, 200, day(3, 1))
        cls.dispense(cls.syringe, 60, day(3, 15))

    @classmethod
    def receive(cls, item: Item, quantity: int, on: datetime.date, **lot: object) -> None:
        receive_stock(
            location=cls.store,
            item=item,
            quantity=quantity,
            worker=cls.worker,
            occurred_on=on,
            **lot,  # type: ignore[arg-type]
        )

    @classmethod
    def dispense(cls, item: Item, quantity: int, on: datetime.date) -> None:
        dispense_stock(
            location=cls.store, lines=[(item, quantity)], worker=cls.worker, occurred_on=on
        )

    def syringe_forecast(self) -> Forecast:
        return next(f for f in forecasts([self.store], today=TODAY) if f.item == self.syringe)


class ConsumptionTests(ForecastTestCase):
    def test_average_daily_consumption_leaves_out_the_days_out_of_stock(self) -> None:
        forecast = self.syringe_forecast()
        self.assertEqual((forecast.dispensed, forecast.days_in_stock), (160, 62))
        self.assertEqual(forecast.adc, Fraction(80, 31))

    def test_days_of_stock_and_the_stock_out_date(self) -> None:
        forecast = self.syringe_forecast()
        self.assertEqual(forecast.on_hand, 140)
        self.assertEqual(forecast.days_of_stock, 54)
        self.assertEqual(forecast.stockout_on, day(5, 24))

    def test_minimum_and_maximum_from_the_locations_days(self) -> None:
        forecast = self.syringe_forecast()
        self.assertEqual((forecast.minimum, forecast.maximum), (114, 192))
        self.assertEqual(forecast.proposed_order, 0)
        self.assertIs(forecast.at_risk, False)

    def test_dispensing_older_than_ninety_days_is_not_counted(self) -> None:
        self.dispense(self.syringe, 10, day(3, 20))
        later = next(
            f for f in forecasts([self.store], today=day(4, 10)) if f.item == self.syringe
        )
        # The window is now 11 Jan – 10 Apr: the 30 of 10 January fall out;
        # 11–31 Jan (21 days) and 1 Mar – 10 Apr (41 days) were in stock.
        self.assertEqual((later.dispensed, later.days_in_stock), (140, 62))


class OrderProposalTests(ForecastTestCase):
    def setUp(self) -> None:
        # Minimum = ⌈(45 + 15) × 80/31⌉ = ⌈154.8⌉ = 155;
        # maximum = 155 + ⌈30 × 80/31⌉ = 155 + 78 = 233.
        StockPolicy.objects.create(
            location=self.store,
            item=self.syringe,
            lead_time_days=45,
            safety_days=15,
            review_days=30,
        )

    def test_an_items_own_days_override_the_locations(self) -> None:
        forecast = self.syringe_forecast()
        self.assertEqual((forecast.minimum, forecast.maximum), (155, 233))

    def test_proposes_the_maximum_less_what_is_on_hand(self) -> None:
        forecast = self.syringe_forecast()
        self.assertEqual(forecast.proposed_order, 233 - 140)
        self.assertIs(forecast.at_risk, True)

    def test_stock_on_order_counts_against_the_proposal(self) -> None:
        place_order(
            location=self.store,
            item=self.syringe,
            quantity=10,
            worker=self.worker,
            ordered_on=TODAY,
        )
        forecast = self.syringe_forecast()
        self.assertEqual(forecast.on_order, 10)
        self.assertEqual(forecast.proposed_order, 233 - 140 - 10)

    def test_an_order_expected_after_the_stock_runs_out_leaves_the_item_at_risk(self) -> None:
        # Without the policy's override the minimum is 114: 140 + 100 on order
        # is plenty, but the 140 on hand last 54 days, until 24 May, and the
        # order is expected on 1 June.
        StockPolicy.objects.all().delete()
        place_order(
            location=self.store,
            item=self.syringe,
            quantity=100,
            worker=self.worker,
            ordered_on=TODAY,
            expected_on=day(6, 1),
        )
        forecast = self.syringe_forecast()
        self.assertEqual((forecast.proposed_order, forecast.stockout_on), (0, day(5, 24)))
        self.assertIs(forecast.runs_out_first, True)
        self.assertIs(forecast.at_risk, True)

    def test_stock_on_its_way_from_another_place_is_on_order(self) -> None:
        receive_stock(
            location=self.bus,
            item=self.syringe,
            quantity=30,
            worker=self.worker,
            occurred_on=TODAY,
        )
        send_transfer(
            source=self.bus,
            destination=self.store,
            lines=[(self.syringe, 20)],
            worker=self.worker,
            occurred_on=TODAY,
        )
        forecast = self.syringe_forecast()
        self.assertEqual(forecast.on_order, 20)
        # 140 + 20 = 160 is above the minimum of 155: no order.
        self.assertEqual(forecast.proposed_order, 0)


class ExpiryTests(ForecastTestCase):
    def test_expired_lots_are_not_on_hand_and_lots_expiring_soon_are_flagged(self) -> None:
        self.receive(self.naloxone, 5, day(1, 5), lot="OLD", expires_on=day(3, 30))
        self.receive(self.naloxone, 10, day(1, 5), lot="SOON", expires_on=day(5, 1))
        self.receive(self.naloxone, 20, day(1, 5), lot="LATE", expires_on=day(12, 31))
        forecast = next(f for f in forecasts([self.store], today=TODAY) if f.item == self.naloxone)
        self.assertEqual((forecast.on_hand, forecast.expired, forecast.expiring_soon), (30, 5, 10))
        self.assertIs(forecast.needs_attention, True)

    def test_a_day_with_only_expired_stock_is_a_stock_out_day(self) -> None:
        # 5 ampoules received on 1 Mar expire on 10 Mar; one is dispensed on
        # 2 Mar. From 11 Mar nothing usable is left: 1–10 Mar are 10 days in
        # stock, 11–31 Mar are stock-out days though 4 expired ampoules remain.
        self.receive(self.naloxone, 5, day(3, 1), lot="X", expires_on=day(3, 10))
        self.dispense(self.naloxone, 1, day(3, 2))
        forecast = next(f for f in forecasts([self.store], today=TODAY) if f.item == self.naloxone)
        self.assertEqual((forecast.days_in_stock, forecast.dispensed), (10, 1))
        self.assertEqual((forecast.on_hand, forecast.expired), (0, 4))


class ForecastQueryTests(ForecastTestCase):
    def test_takes_the_same_queries_for_a_short_and_a_long_ledger(self) -> None:
        with self.assertNumQueries(6):
            forecasts([self.store, self.bus], today=TODAY)
        for number in range(1, 29):
            self.receive(self.syringe, 5, day(2, number))
            self.dispense(self.syringe, 3, day(2, number))
        with self.assertNumQueries(6):
            forecasts([self.store, self.bus], today=TODAY)

    def test_sorts_the_item_running_out_first(self) -> None:
        self.receive(self.naloxone, 4, day(3, 1), lot="N1", expires_on=day(12, 31))
        self.dispense(self.naloxone, 2, day(3, 20))
        first = forecasts([self.store], today=TODAY)[0]
        # ADC 2/31 a day: 2 ampoules last 31 days, below the 44-day minimum.
        self.assertEqual(first.item, self.naloxone)
        self.assertIs(first.at_risk, True)
