"""The overview of every location's stock, the soonest stock-out first.

Pages are read in English; the clock stands at the shared test day.
"""

import datetime

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.inventory.actions import dispense_stock, receive_stock, store_of
from outpost.inventory.models import Location
from outpost.orgs.models import User

NOON = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)
# Session, user, device, staff session, membership (twice, with the
# user's site), the locations and six for their forecast.
OVERVIEW_QUERIES = 13


@time_machine.travel(NOON, tick=False)
class OverviewTests(BaseTestCase):
    officer: User
    bus: Location

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.bus = Location.objects.create(
            org=cls.org, site=cls.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        # The bus: 20 syringes, 18 handed out today: not a day left.
        receive_stock(
            location=cls.bus, item=cls.syringe, quantity=20, worker=cls.manager, occurred_on=TODAY
        )
        dispense_stock(
            location=cls.bus, lines=[(cls.syringe, 18)], worker=cls.worker, occurred_on=TODAY
        )
        # The store: 10 condoms a day over ten days, 100 of 200 left.
        store = store_of(cls.site)
        receive_stock(
            location=store,
            item=cls.condom,
            quantity=100,
            worker=cls.manager,
            occurred_on=TODAY - datetime.timedelta(days=9),
        )
        for day in range(10):
            dispense_stock(
                location=store,
                lines=[(cls.condom, 10)],
                worker=cls.worker,
                occurred_on=TODAY - datetime.timedelta(days=day),
            )

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("inventory:overview")

    def test_lists_every_location_sorted_by_days_left(self) -> None:
        """The bus's syringes come first, then the store's condoms; unused items last."""
        self.client.force_login(self.officer)
        response = self.client.get(self.url)
        rows = response.context["forecasts"]
        self.assertEqual(
            [(row.location.name, row.item.name) for row in rows[:2]],
            [("Bus", "Syringe 2 ml"), ("Sumy room", "Condom")],
        )
        self.assertEqual([row.days_of_stock for row in rows[:2]], [0, 10])
        self.assertTrue(all(row.at_risk for row in rows[:2]))
        self.assertEqual(response.context["at_risk_count"], 2)
        self.assertContains(response, 'class="at-risk"', count=2)
        self.assertIn(Location.objects.get(name="Sumy room").pk, {row.location.pk for row in rows})

    def test_filters_by_kind_of_location(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(self.url, {"kind": Location.Kind.MOBILE_UNIT})
        self.assertEqual({row.location.name for row in response.context["forecasts"]}, {"Bus"})
        response = self.client.get(self.url, {"kind": "spaceship"})
        self.assertGreater(len({row.location.name for row in response.context["forecasts"]}), 1)

    def test_shows_only_what_needs_attention_when_asked(self) -> None:
        self.client.force_login(self.worker)
        rows = self.client.get(self.url, {"attention": "1"}).context["forecasts"]
        self.assertEqual([row.item.name for row in rows], ["Syringe 2 ml", "Condom"])

    def test_flags_lots_expiring_within_60_days(self) -> None:
        naloxone = self.org.items.get(category__code="naloxone")
        receive_stock(
            location=self.bus,
            item=naloxone,
            quantity=4,
            lot="SOON",
            expires_on=TODAY + datetime.timedelta(days=40),
            worker=self.manager,
            occurred_on=TODAY,
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertContains(response, "4 expiring within 60 days")

    def test_leaves_out_locations_no_longer_in_use_and_other_organisations(self) -> None:
        Location.objects.create(
            org=self.org, name="Old car", kind=Location.Kind.CAR, is_active=False
        )
        self.client.force_login(self.worker)
        names = {row.location.name for row in self.client.get(self.url).context["forecasts"]}
        self.assertNotIn("Old car", names)
        self.assertNotIn("Other room", names)
        self.client.force_login(self.outsider)
        response = self.client.get(self.url)
        self.assertEqual(response.context["forecasts"], [])
        self.assertNotContains(response, "Sumy room")
        self.assertNotContains(response, "Bus")

    def test_a_courier_is_refused(self) -> None:
        courier = make_staff(self.org, "courier", Role.COURIER, self.site)
        self.client.force_login(courier)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_uses_a_fixed_number_of_queries_whatever_the_ledger_holds(self) -> None:
        car = Location.objects.create(org=self.org, name="Car", kind=Location.Kind.CAR)
        self.client.force_login(self.manager)
        with self.assertNumQueries(OVERVIEW_QUERIES):
            self.client.get(self.url)
        for day in range(30):
            receive_stock(
                location=car,
                item=self.condom,
                quantity=5,
                worker=self.manager,
                occurred_on=TODAY - datetime.timedelta(days=day),
            )
            dispense_stock(
                location=car,
                lines=[(self.condom, 3)],
                worker=self.worker,
                occurred_on=TODAY - datetime.timedelta(days=day),
            )
        with CaptureQueriesContext(connection) as more:
            response = self.client.get(self.url)
        self.assertContains(response, "Car")
        self.assertEqual(len(more.captured_queries), OVERVIEW_QUERIES)
