"""The stock page of a site's store, and receiving deliveries into it.

Pages are read in English, so that messages compare with their source text.
"""

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.catalogue.models import Item
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff, stock
from outpost.inventory.actions import store_of
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import User

# Session, user, membership (twice: the session names no organisation),
# site, store, balances, movements.
STOCK_PAGE_QUERIES = 10


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
        self.page_url = reverse("inventory:location", args=[self.site.pk])
        self.receive_url = reverse("inventory:receive", args=[self.site.pk])

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
        self.assertContains(
            response,
            '<tr><td>Syringe 2 ml</td><td>—</td><td>—</td><td class="num">100</td></tr>',
            html=True,
        )
        self.assertContains(response, "2030")

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
        """More lots and movements do not add queries."""
        self.client.force_login(self.worker)
        with self.assertNumQueries(STOCK_PAGE_QUERIES):
            self.client.get(self.page_url)
        for number in range(5):
            item = Item.objects.create(
                org=self.org, category=self.condom.category, name=f"Condom size {number}"
            )
            stock(self.site, item, 10 + number, self.manager)
        with CaptureQueriesContext(connection) as more:
            response = self.client.get(self.page_url)
        self.assertContains(response, "Condom size 4")
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
        url = reverse("inventory:receive", args=[self.site.pk])
        data = {"item": self.condom.pk, "quantity": 50, "idempotency_key": uuid.uuid4()}
        for _ in range(2):
            self.assertEqual(self.client.post(url, data).status_code, 302)
        receipts = StockMovement.objects.filter(item=self.condom, kind="receipt")
        self.assertEqual(receipts.filter(quantity=50).count(), 1)

    def test_a_key_used_by_another_organisation_is_refused(self) -> None:
        key = uuid.uuid4()
        self.client.force_login(self.outsider)
        foreign = self.other_org.items.get(name="Condom")
        other_url = reverse("inventory:receive", args=[self.other_site.pk])
        self.client.post(other_url, {"item": foreign.pk, "quantity": 5, "idempotency_key": key})
        self.client.force_login(self.manager)
        url = reverse("inventory:receive", args=[self.site.pk])
        response = self.client.post(
            url, {"item": self.condom.pk, "quantity": 5, "idempotency_key": key}
        )
        self.assertContains(response, "already used", status_code=422)
