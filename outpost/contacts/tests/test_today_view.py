"""The today page: the day's contacts, clients and stock at one site.

The clock is fixed at noon in Kyiv on the shared test day, so every contact
recorded here falls on the page's date. Pages are read in English.
"""

import datetime
import zoneinfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.core.roles import Role
from outpost.core.tests.base import (
    TODAY,
    BaseTestCase,
    make_client,
    make_site,
    make_staff,
    stock,
)
from outpost.inventory.actions import dispense_stock, receive_stock, store_of
from outpost.inventory.models import Location
from outpost.orgs.models import User

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))

# Session, user, device, staff session, membership (twice: the session
# names no organisation), site, day figures, items handed out, the site's
# locations, six for their forecast, items.
TODAY_PAGE_QUERIES = 17


@time_machine.travel(NOON, tick=False)
class TodayViewTests(BaseTestCase):
    officer: User
    boris: Client

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.boris = make_client(cls.org, cls.worker, mother="Boryslava", birth_year=1990)

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("contacts:today", args=[self.site.pk])

    def record(self, client: Client | None, handout: Handout) -> None:
        record_contact(
            site=self.site, worker=self.worker, channel="window", client=client, handout=handout
        )

    def row_for(self, rows: list[dict[str, object]], item: Item) -> dict[str, object]:
        return next(row for row in rows if row["item"] == item)

    def test_counts_contacts_and_unique_clients_of_the_day(self) -> None:
        """Two contacts of anna and one anonymous: 3 contacts, 1 unique client (SPEC §2)."""
        self.record(self.anna, Handout(kits=[(self.injecting_kit, 1)]))
        self.record(self.anna, Handout(items=[(self.condom, 10)]))
        self.record(None, Handout(items=[(self.condom, 3)]))
        self.client.force_login(self.worker)

        response = self.client.get(self.url)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["date"], TODAY)
        figures = response.context["figures"]
        self.assertEqual((figures["contacts"], figures["clients"]), (3, 1))
        self.assertContains(
            response,
            '<div class="figure" data-testid="contacts-today"><strong>3</strong>contacts</div>',
            html=True,
        )
        self.assertContains(
            response,
            '<div class="figure" data-testid="clients-today">'
            "<strong>1</strong>unique clients</div>",
            html=True,
        )

    def test_contacts_of_other_days_and_sites_are_left_out(self) -> None:
        """Only today's contacts at this site count."""
        other_room = make_site(self.org, "Kyiv room")
        stock(other_room, self.condom, 10, self.manager)
        record_contact(
            site=other_room,
            worker=self.worker,
            channel="room",
            client=self.boris,
            handout=Handout(items=[(self.condom, 1)]),
        )
        record_contact(
            site=self.site,
            worker=self.worker,
            channel="window",
            client=self.boris,
            handout=Handout(items=[(self.condom, 1)]),
            occurred_at=NOON - datetime.timedelta(days=1),
        )
        self.record(self.anna, Handout())
        self.client.force_login(self.worker)

        figures = self.client.get(self.url).context["figures"]

        self.assertEqual((figures["contacts"], figures["clients"]), (1, 1))

    def test_shows_items_handed_out_and_on_hand(self) -> None:
        """Each item shows today's units out and the units left in the store."""
        self.record(self.anna, Handout(kits=[(self.injecting_kit, 1)]))
        self.record(None, Handout(items=[(self.syringe, 7), (self.condom, 3)]))
        self.client.force_login(self.worker)

        response = self.client.get(self.url)

        rows = response.context["rows"]
        syringe_row = self.row_for(rows, self.syringe)
        self.assertEqual((syringe_row["handed_out"], syringe_row["on_hand"]), (12, 88))
        condom_row = self.row_for(rows, self.condom)
        self.assertEqual((condom_row["handed_out"], condom_row["on_hand"]), (3, 97))
        naloxone = Item.objects.get(org=self.org, category__code="naloxone")
        naloxone_row = self.row_for(rows, naloxone)
        self.assertEqual((naloxone_row["handed_out"], naloxone_row["on_hand"]), (0, 100))
        self.assertContains(
            response,
            f'<tr data-item="{naloxone.pk}"><td>Naloxone 0.4 mg/ml ampoule</td>'
            '<td class="num">0</td><td class="num" data-testid="on-hand">100</td>'
            '<td class="num">—</td></tr>',
            html=True,
        )

    def test_flags_items_at_risk_by_the_forecast(self) -> None:
        """Order now, running out and expiring soon come from the forecast (SPEC §5)."""
        store = store_of(self.site)
        naloxone = Item.objects.get(org=self.org, category__code="naloxone")
        # Syringes: 100 received today, 80 out today: 80 a day, 20 left,
        # not a day's stock, far below the 30 days of lead time.
        self.record(None, Handout(items=[(self.syringe, 80)]))
        # Condoms: 100 out over ten days, 10 a day; 400 of 500 left: 40
        # days, more than the lead time of 30 but under the minimum of 44.
        receive_stock(
            location=store,
            item=self.condom,
            quantity=400,
            worker=self.manager,
            occurred_on=TODAY - datetime.timedelta(days=9),
        )
        for day in range(9):
            dispense_stock(
                location=store,
                lines=[(self.condom, 10)],
                worker=self.worker,
                occurred_on=TODAY - datetime.timedelta(days=day + 1),
            )
        self.record(None, Handout(items=[(self.condom, 10)]))
        # Naloxone: a lot expiring in a month, nothing handed out.
        receive_stock(
            location=store,
            item=naloxone,
            quantity=5,
            lot="SOON",
            expires_on=TODAY + datetime.timedelta(days=30),
            worker=self.manager,
            occurred_on=TODAY,
        )
        self.client.force_login(self.worker)

        response = self.client.get(self.url)

        rows = response.context["rows"]
        syringe = self.row_for(rows, self.syringe)
        self.assertEqual((syringe["on_hand"], syringe["days_of_stock"]), (20, 0))
        self.assertEqual(syringe["flag"], "running_out")
        condom = self.row_for(rows, self.condom)
        self.assertEqual((condom["on_hand"], condom["days_of_stock"]), (400, 40))
        self.assertEqual(condom["flag"], "order_now")
        self.assertEqual(self.row_for(rows, naloxone)["flag"], "expiring_soon")
        self.assertEqual(self.row_for(rows, self.injecting_kit_item())["flag"], "")
        flagged = sum(1 for row in rows if row["flag"])
        self.assertEqual(flagged, 3)
        self.assertEqual(response.context["at_risk_count"], flagged)
        self.assertContains(response, f'<strong class="low">{flagged}</strong>', html=True)
        self.assertContains(response, "running out")
        self.assertContains(response, "order now")
        self.assertContains(response, "expiring soon")

    def injecting_kit_item(self) -> Item:
        return Item.objects.get(org=self.org, name="Needle 27G")

    def test_an_item_of_another_location_of_the_site_counts(self) -> None:
        """Stock on the site's bus is part of the site's stock; its risk is flagged."""
        bus = Location.objects.create(
            org=self.org, site=self.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        receive_stock(
            location=bus, item=self.syringe, quantity=10, worker=self.manager, occurred_on=TODAY
        )
        dispense_stock(
            location=bus, lines=[(self.syringe, 8)], worker=self.worker, occurred_on=TODAY
        )
        self.client.force_login(self.worker)

        row = self.row_for(self.client.get(self.url).context["rows"], self.syringe)

        self.assertEqual((row["on_hand"], row["flag"]), (102, "running_out"))

    def test_an_me_officer_may_read_the_day(self) -> None:
        """An M&E officer sees the figures without recording anything."""
        self.client.force_login(self.officer)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)

    def test_an_outsider_gets_404(self) -> None:
        """Org B staff cannot read org A's day."""
        self.client.force_login(self.outsider)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 404)

    def test_a_courier_is_refused(self) -> None:
        """A courier has no permission to read the day: 403."""
        courier = make_staff(self.org, "courier", Role.COURIER, self.site)
        self.client.force_login(courier)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 403)

    def test_uses_a_fixed_number_of_queries_whatever_the_day_holds(self) -> None:
        """The page costs the same queries with 1 contact as with 5 and more items."""
        self.client.force_login(self.worker)
        self.record(self.anna, Handout(kits=[(self.injecting_kit, 1)]))
        with self.assertNumQueries(TODAY_PAGE_QUERIES):
            self.client.get(self.url)

        for number in range(3):
            Item.objects.create(
                org=self.org, category=self.condom.category, name=f"Condom size {number}"
            )
        self.record(self.boris, Handout(items=[(self.condom, 2)], services=[self.counselling]))
        self.record(None, Handout(kits=[(self.injecting_kit, 2)]))
        self.record(self.anna, Handout(items=[(self.syringe, 1)]))
        self.record(self.boris, Handout())
        with CaptureQueriesContext(connection) as five_contacts:
            response = self.client.get(self.url)

        self.assertEqual(response.context["figures"]["contacts"], 5)
        self.assertEqual(len(five_contacts.captured_queries), TODAY_PAGE_QUERIES)
