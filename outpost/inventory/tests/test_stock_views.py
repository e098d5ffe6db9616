"""The stock page of a location, and receiving deliveries into it.

Pages are read in English, so that messages compare with their source text.
"""

import datetime
import re
import uuid

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.catalogue.models import Item
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.inventory.actions import dispense_stock, place_order, receive_stock, store_of
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.inventory.transfers import send_transfer
from outpost.orgs.models import User

# Session, user, device, staff session, membership (twice: the session
# names no organisation), the location, six for the forecast, the lots,
# open orders, transfer lines on their way and the latest movements.
STOCK_PAGE_QUERIES = 17
NOON = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)


def row_of(body: str, marker: str) -> str:
    """The table row of a page that carries ``marker``."""
    at = body.index(marker)
    return body[body.rindex("<tr", 0, at) : body.index("</tr>", at)]


class StockTestCase(BaseTestCase):
    officer: User
    case_manager: User
    naloxone: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.case_manager = make_staff(cls.org, "case_manager", Role.CASE_MANAGER, cls.site)
        cls.naloxone = Item.objects.get(org=cls.org, category__code="naloxone")

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.store: Location = store_of(self.site)
        self.page_url = reverse("inventory:location", args=[self.store.pk])
        self.receive_url = reverse("inventory:receive", args=[self.store.pk])

    def on_hand(self, item: Item) -> int:
        return (
            StockBalance.objects.filter(location=self.store, item=item)
            .on_hand_by_item()
            .get(item.pk, 0)
        )

    def snapshot(self) -> tuple[int, int, int, dict[int, int]]:
        return (
            StockMovement.objects.count(),
            StockBalance.objects.count(),
            AuditEvent.objects.filter(verb="stock.received").count(),
            StockBalance.objects.filter(location=self.store).on_hand_by_item(),
        )


class StockPageTests(StockTestCase):
    def test_lists_the_balances_of_the_store(self) -> None:
        """A worker sees each item on hand with its count."""
        self.client.force_login(self.worker)
        response = self.client.get(self.page_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["location"], self.store)
        balances = {balance.item_id: balance.quantity for balance in response.context["balances"]}
        self.assertEqual(balances[self.syringe.pk], 100)
        self.assertEqual(len(balances), Item.objects.filter(org=self.org).count())
        balance = StockBalance.objects.get(location=self.store, item=self.syringe)
        self.assertContains(
            response,
            f'<tr data-lot="{balance.pk}"><td>Syringe 2 ml</td><td>—</td><td>—</td>'
            '<td class="num">100</td></tr>',
            html=True,
        )
        self.assertContains(response, "2030")

    def test_flags_expired_lots_and_lots_expiring_within_60_days(self) -> None:
        """An expired lot cannot be handed out; one expiring within 60 days is flagged."""
        for lot, expires_on in (
            ("OLD", "2026-02-20"),
            ("SOON", "2026-04-20"),
            ("OK", "2026-06-01"),
        ):
            receive_stock(
                location=self.store,
                item=self.naloxone,
                quantity=5,
                lot=lot,
                expires_on=datetime.date.fromisoformat(expires_on),
                worker=self.manager,
                occurred_on=TODAY - datetime.timedelta(days=30),
            )
        self.client.force_login(self.worker)
        with time_machine.travel(NOON, tick=False):
            response = self.client.get(self.page_url)
        rows = {
            balance.lot: balance.pk
            for balance in StockBalance.objects.filter(location=self.store, item=self.naloxone)
        }
        body = response.content.decode()
        self.assertIn("expired — cannot be handed out", row_of(body, f'data-lot="{rows["OLD"]}"'))
        self.assertIn("expires within 60 days", row_of(body, f'data-lot="{rows["SOON"]}"'))
        ok_row = row_of(body, f'data-lot="{rows["OK"]}"')
        self.assertNotIn("expire", ok_row.replace("Expires", ""))

    def test_shows_the_forecast_of_each_item(self) -> None:
        """Per day to one decimal, days of stock, stock-out date, minimum, maximum, proposal."""
        bus = Location.objects.create(
            org=self.org, site=self.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        receive_stock(
            location=bus,
            item=self.syringe,
            quantity=100,
            worker=self.manager,
            occurred_on=TODAY - datetime.timedelta(days=20),
        )
        for day in range(1, 11):
            dispense_stock(
                location=bus,
                lines=[(self.syringe, 5)],
                worker=self.worker,
                occurred_on=TODAY - datetime.timedelta(days=day),
            )
        self.client.force_login(self.manager)
        with time_machine.travel(NOON, tick=False):
            response = self.client.get(reverse("inventory:location", args=[bus.pk]))
        # 50 out over 21 days in stock: 2.38 a day, 50 left last 21 days;
        # minimum (30 + 14) × 2.38 = 105, maximum 105 + 30 × 2.38 = 177,
        # so 177 − 50 are proposed.
        row = row_of(response.content.decode(), f'data-item="{self.syringe.pk}"')
        cells = re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row, re.S)
        self.assertEqual(cells[1:8], ["50", "2.4", "21", "March 23, 2026", "105", "177", "0"])
        order_url = reverse("inventory:order_new", args=[bus.pk])
        self.assertIn("127", cells[8])
        self.assertIn(f"{order_url}?item={self.syringe.pk}", cells[8])
        self.assertIn("order now", cells[0])

    def test_only_a_manager_gets_the_place_order_button(self) -> None:
        dispense_stock(
            location=self.store, lines=[(self.syringe, 95)], worker=self.worker, occurred_on=TODAY
        )
        order_url = reverse("inventory:order_new", args=[self.store.pk])
        self.client.force_login(self.worker)
        with time_machine.travel(NOON, tick=False):
            worker_page = self.client.get(self.page_url)
        self.client.force_login(self.manager)
        with time_machine.travel(NOON, tick=False):
            manager_page = self.client.get(self.page_url)
        self.assertNotContains(worker_page, order_url)
        self.assertContains(manager_page, f"{order_url}?item={self.syringe.pk}")

    def test_shows_open_orders_and_transfers_on_their_way(self) -> None:
        bus = Location.objects.create(
            org=self.org, site=self.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        transfer = send_transfer(
            source=self.store,
            destination=bus,
            lines=[(self.condom, 12)],
            worker=self.manager,
            occurred_on=TODAY,
        )
        place_order(
            location=bus,
            item=self.syringe,
            quantity=40,
            supplier="UNICEF",
            worker=self.manager,
            ordered_on=TODAY,
        )
        self.client.force_login(self.worker)
        response = self.client.get(reverse("inventory:location", args=[bus.pk]))
        incoming = row_of(response.content.decode(), f'data-transfer="{transfer.pk}"')
        self.assertIn("Condom", incoming)
        self.assertIn("12", incoming)
        self.assertIn(reverse("inventory:transfer_receive", args=[transfer.pk]), incoming)
        self.assertContains(response, "UNICEF")

    def test_links_to_the_other_actions_by_permission(self) -> None:
        self.client.force_login(self.manager)
        page = self.client.get(self.page_url)
        for name in (
            "receive",
            "transfer_new",
            "assemble",
            "adjust",
            "write_off",
            "count_start",
            "count_history",
            "policies",
            "order_new",
            "location_edit",
        ):
            with self.subTest(name=name):
                self.assertContains(page, reverse(f"inventory:{name}", args=[self.store.pk]))
        self.client.force_login(self.officer)
        page = self.client.get(self.page_url)
        self.assertContains(page, reverse("inventory:count_history", args=[self.store.pk]))
        for name in ("receive", "transfer_new", "adjust", "policies", "order_new"):
            with self.subTest(officer=name):
                self.assertNotContains(page, reverse(f"inventory:{name}", args=[self.store.pk]))

    def test_a_site_leads_to_its_store(self) -> None:
        """The site's "Stock" link opens the site's store."""
        self.client.force_login(self.worker)
        response = self.client.get(reverse("inventory:site", args=[self.site.pk]))
        self.assertRedirects(response, self.page_url)
        self.client.force_login(self.outsider)
        response = self.client.get(reverse("inventory:site", args=[self.site.pk]))
        self.assertEqual(response.status_code, 404)

    def test_an_me_officer_may_read_the_stock(self) -> None:
        """An M&E officer reads the stock page."""
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.page_url).status_code, 200)

    def test_an_outsider_gets_404(self) -> None:
        """Org B staff cannot read org A's store."""
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.page_url).status_code, 404)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        """Without a session the page redirects to the login page."""
        response = self.client.get(self.page_url)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("login")))

    def test_uses_a_fixed_number_of_queries_whatever_the_store_holds(self) -> None:
        """One movement or hundreds, orders and transfers or none: the same queries."""
        location = Location.objects.create(
            org=self.org, site=self.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        url = reverse("inventory:location", args=[location.pk])
        receive_stock(
            location=location,
            item=self.condom,
            quantity=10,
            worker=self.manager,
            occurred_on=TODAY,
        )
        self.client.force_login(self.manager)
        with time_machine.travel(NOON, tick=False), self.assertNumQueries(STOCK_PAGE_QUERIES):
            self.client.get(url)
        for number in range(5):
            item = Item.objects.create(
                org=self.org, category=self.condom.category, name=f"Condom size {number}"
            )
            for day in range(40):
                receive_stock(
                    location=location,
                    item=item,
                    quantity=3,
                    lot=f"L{day % 3}",
                    worker=self.manager,
                    occurred_on=TODAY - datetime.timedelta(days=day),
                )
                dispense_stock(
                    location=location,
                    lines=[(item, 2)],
                    worker=self.worker,
                    occurred_on=TODAY - datetime.timedelta(days=day),
                )
            place_order(
                location=location, item=item, quantity=50, worker=self.manager, ordered_on=TODAY
            )
        send_transfer(
            source=self.store,
            destination=location,
            lines=[(self.syringe, 5), (self.naloxone, 2)],
            worker=self.manager,
            occurred_on=TODAY,
        )
        self.assertGreater(StockMovement.objects.filter(location=location).count(), 300)
        with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as more:
            response = self.client.get(url)
        self.assertContains(response, "Condom size 4")
        self.assertContains(response, "Naloxone")
        self.assertEqual(len(more.captured_queries), STOCK_PAGE_QUERIES)


class ReceiveStockTests(StockTestCase):
    def test_shows_the_receipt_form(self) -> None:
        """A worker gets the form, listing only their organisation's items."""
        self.client.force_login(self.worker)
        response = self.client.get(self.receive_url)
        self.assertEqual(response.status_code, 200)
        items = response.context["form"].fields["item"].queryset
        self.assertEqual(set(items.values_list("org", flat=True)), {self.org.pk})

    def test_a_receipt_adds_to_the_balance_and_the_ledger(self) -> None:
        """50 syringes received: the balance grows by 50 and one receipt is recorded."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.receive_url, {"item": self.syringe.pk, "quantity": 50, "supplier": "UNICEF"}
        )
        self.assertRedirects(response, self.page_url, fetch_redirect_response=False)
        self.assertEqual(self.on_hand(self.syringe), 150)
        movement = StockMovement.objects.filter(item=self.syringe).latest("pk")
        self.assertEqual(
            (movement.kind, movement.quantity, movement.location, movement.recorded_by),
            (StockMovement.Kind.RECEIPT, 50, self.store, self.worker),
        )
        self.assertEqual(movement.supplier, "UNICEF")
        self.assertEqual(movement.occurred_on, self.site.local_today())

    def test_a_receipt_is_announced_on_the_stock_page(self) -> None:
        """After the redirect the stock page says the stock was received."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.receive_url, {"item": self.condom.pk, "quantity": 5}, follow=True
        )
        self.assertContains(response, "Stock received.")

    def test_naloxone_with_an_expiry_and_lot_is_received(self) -> None:
        """Naloxone with its expiry date goes in as a lot of its own."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.receive_url,
            {"item": self.naloxone.pk, "quantity": 20, "lot": "N-7", "expires_on": "2027-06-30"},
        )
        self.assertEqual(response.status_code, 302)
        balance = StockBalance.objects.get(location=self.store, item=self.naloxone, lot="N-7")
        self.assertEqual((balance.quantity, str(balance.expires_on)), (20, "2027-06-30"))
        self.assertEqual(self.on_hand(self.naloxone), 120)

    def test_naloxone_without_an_expiry_is_refused(self) -> None:
        """Items of a category that expires need a date: 422, nothing saved."""
        self.client.force_login(self.worker)
        before = self.snapshot()
        response = self.client.post(
            self.receive_url, {"item": self.naloxone.pk, "quantity": 20, "lot": "N-8"}
        )
        self.assertContains(
            response, "Naloxone 0.4 mg/ml ampoule needs an expiry date.", status_code=422
        )
        self.assertEqual(self.snapshot(), before)

    def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(self) -> None:
        """A bad quantity, item or date answers 422, says why, and saves nothing."""
        other_item = Item.objects.get(org=self.other_org, name="Syringe 2 ml")
        cases: list[tuple[dict[str, object], str]] = [
            ({"quantity": 0}, "Ensure this value is greater than or equal to 1."),
            ({"quantity": -3}, "Ensure this value is greater than or equal to 1."),
            ({"quantity": "ten"}, "Enter a whole number."),
            ({"quantity": 100_001}, "Ensure this value is less than or equal to 100000."),
            ({"quantity": ""}, "This field is required."),
            (
                {"item": other_item.pk},
                "Select a valid choice. That choice is not one of the available choices.",
            ),
            (
                {"item": 999_999},
                "Select a valid choice. That choice is not one of the available choices.",
            ),
            ({"expires_on": "1999-12-31"}, "That expiry date is not possible."),
            ({"expires_on": "2027-02-30"}, "Enter a valid date."),
        ]
        self.client.force_login(self.worker)
        for fields, message in cases:
            with self.subTest(fields=fields):
                before = self.snapshot()
                response = self.client.post(
                    self.receive_url, {"item": self.syringe.pk, "quantity": 10, **fields}
                )
                self.assertContains(response, message, status_code=422)
                self.assertEqual(self.snapshot(), before)

    def test_a_case_manager_may_not_receive_stock(self) -> None:
        """Receiving stock is not a case manager's task: 403, nothing saved."""
        self.client.force_login(self.case_manager)
        before = self.snapshot()
        self.assertEqual(self.client.get(self.receive_url).status_code, 403)
        response = self.client.post(self.receive_url, {"item": self.syringe.pk, "quantity": 10})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.snapshot(), before)

    def test_an_me_officer_may_not_receive_stock(self) -> None:
        """An M&E officer reads stock but does not change it: 403."""
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.receive_url).status_code, 403)

    def test_an_outsider_gets_404_and_saves_nothing(self) -> None:
        """Org B staff cannot receive into org A's store, even with their own item."""
        other_item = Item.objects.get(org=self.other_org, name="Syringe 2 ml")
        self.client.force_login(self.outsider)
        before = self.snapshot()
        self.assertEqual(self.client.get(self.receive_url).status_code, 404)
        response = self.client.post(self.receive_url, {"item": other_item.pk, "quantity": 10})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.snapshot(), before)


class RetriedReceiptTests(BaseTestCase):
    def test_a_receipt_sent_twice_is_recorded_once(self) -> None:
        """A double tap or a lost reply must not double a delivery."""
        self.client.force_login(self.manager)
        url = reverse("inventory:receive", args=[store_of(self.site).pk])
        data = {"item": self.condom.pk, "quantity": 50, "idempotency_key": uuid.uuid4()}
        for _ in range(2):
            self.assertEqual(self.client.post(url, data).status_code, 302)
        receipts = StockMovement.objects.filter(item=self.condom, kind="receipt")
        self.assertEqual(receipts.filter(quantity=50).count(), 1)

    def test_a_key_used_by_another_organisation_is_refused(self) -> None:
        key = uuid.uuid4()
        self.client.force_login(self.outsider)
        foreign = self.other_org.items.get(name="Condom")
        other_url = reverse("inventory:receive", args=[store_of(self.other_site).pk])
        self.client.post(other_url, {"item": foreign.pk, "quantity": 5, "idempotency_key": key})
        self.client.force_login(self.manager)
        url = reverse("inventory:receive", args=[store_of(self.site).pk])
        response = self.client.post(
            url, {"item": self.condom.pk, "quantity": 5, "idempotency_key": key}
        )
        self.assertContains(response, "already used", status_code=422)
