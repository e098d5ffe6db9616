"""Sending stock between places, the list of transfers, and receiving them.

Pages are read in English, so that messages compare with their source text.
"""

import datetime
import uuid

import time_machine
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.inventory.actions import receive_stock, store_of
from outpost.inventory.models import Location, StockBalance, StockMovement, Transfer
from outpost.inventory.transfers import receive_transfer, send_transfer
from outpost.orgs.models import User

# Session, user, second factor, session touch, membership (twice), in
# transit, its lines, received, their lines.
TRANSFER_LIST_QUERIES = 10


# Mid-morning of TODAY in Kyiv, for every test and its data.
NOW = datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC)


@time_machine.travel(NOW, tick=False)
class MovementViewTestCase(BaseTestCase):
    """The store of the Sumy room, a bus of the same site, and two naloxone lots."""

    store: Location
    bus: Location
    naloxone: Item
    officer: User
    case_manager: User
    outside_manager: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.store = store_of(cls.site)
        cls.bus = Location.objects.create(
            org=cls.org, site=cls.site, name="Bus 1", kind=Location.Kind.MOBILE_UNIT
        )
        cls.naloxone = Item.objects.get(org=cls.org, category__code="naloxone")
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.case_manager = make_staff(cls.org, "case_manager", Role.CASE_MANAGER, cls.site)
        # A manager of organisation B, for pages a social worker may not open.
        cls.outside_manager = make_staff(cls.other_org, "manager-b", Role.MANAGER, cls.other_site)
        receive_stock(
            location=cls.store,
            item=cls.naloxone,
            quantity=10,
            lot="N-EARLY",
            expires_on=datetime.date(2026, 4, 1),
            worker=cls.manager,
            occurred_on=TODAY,
        )

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def on_hand(self, location: Location, item: Item, lot: str | None = None) -> int:
        balances = StockBalance.objects.filter(location=location, item=item)
        if lot is not None:
            balances = balances.filter(lot=lot)
        return int(balances.aggregate(total=Sum("quantity"))["total"] or 0)

    def snapshot(self) -> tuple[int, int, dict[int, int]]:
        return (
            StockMovement.objects.count(),
            Transfer.objects.count(),
            StockBalance.objects.filter(location=self.store).on_hand_by_item(),
        )


class SendTransferTests(MovementViewTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:transfer_new", args=[self.store.pk])

    def send(self, **fields: object) -> dict[str, object]:
        data: dict[str, object] = {
            "destination": self.bus.pk,
            "idempotency_key": str(uuid.uuid4()),
        }
        data.update(fields)
        return data

    def test_lists_each_item_held_with_a_lot_choice_where_there_are_several(self) -> None:
        """Naloxone has two usable lots and gets a lot choice; syringes do not."""
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Syringe 2 ml")
        self.assertContains(response, f'name="count_{self.syringe.pk}"')
        self.assertContains(response, f'name="lot_{self.naloxone.pk}"')
        self.assertNotContains(response, f'name="lot_{self.syringe.pk}"')
        self.assertContains(response, "First to expire")
        self.assertContains(response, "N-EARLY · expires April 1, 2026 · 10 on hand")
        self.assertContains(response, "Arrived now (I am loading it myself)")

    def test_offers_every_other_place_in_use_but_not_the_source(self) -> None:
        """The destination list names the bus, not the store it leaves."""
        Location.objects.create(
            org=self.org, name="Old car", kind=Location.Kind.CAR, is_active=False
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        choices = dict(response.context["form"].fields["destination"].widget.choices)
        self.assertEqual(set(choices.values()) - {"---------"}, {"Bus 1"})

    def test_sends_several_items_at_once_and_they_are_on_their_way(self) -> None:
        """Two items leave the store together and wait to be received on the bus."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url,
            self.send(
                **{f"count_{self.syringe.pk}": 20, f"count_{self.condom.pk}": 5}, note="Monday run"
            ),
            follow=True,
        )
        self.assertRedirects(response, reverse("inventory:transfers"))
        self.assertContains(response, "Stock sent to Bus 1.")
        transfer = Transfer.objects.get()
        self.assertEqual(transfer.status, Transfer.Status.IN_TRANSIT)
        self.assertEqual(transfer.note, "Monday run")
        self.assertEqual(
            {(line.item_id, line.sent) for line in transfer.lines.all()},
            {(self.syringe.pk, 20), (self.condom.pk, 5)},
        )
        self.assertEqual(self.on_hand(self.store, self.syringe), 80)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 0)
        self.assertContains(response, "20 × Syringe 2 ml")

    def test_takes_the_first_lot_to_expire_unless_one_is_picked(self) -> None:
        """Left alone, naloxone leaves from the early lot; a picked lot leaves itself."""
        self.client.force_login(self.worker)
        self.client.post(self.url, self.send(**{f"count_{self.naloxone.pk}": 4}))
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-EARLY"), 6)
        self.client.post(
            self.url,
            self.send(**{f"count_{self.naloxone.pk}": 3, f"lot_{self.naloxone.pk}": "lot:"}),
        )
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-EARLY"), 6)
        self.assertEqual(self.on_hand(self.store, self.naloxone, ""), 97)

    def test_arrived_now_books_it_at_the_destination_at_once(self) -> None:
        """Loading the bus oneself: the stock is on the bus straight away."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url, self.send(**{f"count_{self.syringe.pk}": 30}, received_now="on"), follow=True
        )
        self.assertContains(response, "Stock moved to Bus 1.")
        self.assertEqual(Transfer.objects.get().status, Transfer.Status.RECEIVED)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 30)
        self.assertEqual(self.on_hand(self.store, self.syringe), 70)

    def test_a_retried_post_sends_the_stock_once(self) -> None:
        """A double tap with the same form key moves the syringes once."""
        self.client.force_login(self.worker)
        data = self.send(**{f"count_{self.syringe.pk}": 10})
        self.client.post(self.url, data)
        self.client.post(self.url, data)
        self.assertEqual(Transfer.objects.count(), 1)
        self.assertEqual(self.on_hand(self.store, self.syringe), 90)

    def assert_refused(self, data: dict[str, object], message: str) -> None:
        self.client.force_login(self.worker)
        before = self.snapshot()
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, message, status_code=422)
        self.assertEqual(self.snapshot(), before)

    def test_refuses_to_send_to_the_place_it_leaves(self) -> None:
        """The store cannot send to itself; nothing moves."""
        self.assert_refused(
            self.send(destination=self.store.pk, **{f"count_{self.syringe.pk}": 5}),
            "Choose a place to send to other than the one it leaves.",
        )

    def test_refuses_a_transfer_with_nothing_in_it(self) -> None:
        """Zero everywhere sends nothing, and says so."""
        self.assert_refused(
            self.send(**{f"count_{self.syringe.pk}": 0}), "Add at least one item to send."
        )

    def test_refuses_a_negative_quantity(self) -> None:
        """A negative count is refused with the ledger's own limits."""
        self.assert_refused(
            self.send(**{f"count_{self.syringe.pk}": -4}),
            "A quantity must be between 1 and 100000.",
        )

    def test_refuses_more_than_is_usable(self) -> None:
        """Sending more syringes than the store holds names the item and the count."""
        self.assert_refused(
            self.send(**{f"count_{self.syringe.pk}": 101, f"count_{self.condom.pk}": 1}),
            "Not enough Syringe 2 ml in stock: 100 on hand, 101 asked for.",
        )

    def test_refuses_to_send_to_a_place_no_longer_in_use(self) -> None:
        """A closed place is refused by name, even if the form was old."""
        Location.objects.filter(pk=self.bus.pk).update(is_active=False)
        self.assert_refused(
            self.send(**{f"count_{self.syringe.pk}": 5}), "Bus 1 is no longer in use."
        )

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(
            self.client.post(self.url, self.send(**{f"count_{self.syringe.pk}": 5})).status_code,
            404,
        )
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_an_me_officer_may_not_move_stock(self) -> None:
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.url).status_code, 403)


class TransferListTests(MovementViewTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:transfers")

    def send(self, count: int, received_now: bool = False) -> Transfer:
        return send_transfer(
            source=self.store,
            destination=self.bus,
            lines=[(self.syringe, count)],
            worker=self.worker,
            occurred_on=TODAY,
            received_now=received_now,
        )

    def test_shows_what_is_on_its_way_with_a_receive_button(self) -> None:
        transfer = self.send(12)
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["in_transit"], [transfer])
        self.assertContains(response, "12 × Syringe 2 ml")
        self.assertContains(response, reverse("inventory:transfer_receive", args=[transfer.pk]))
        self.assertContains(response, ">Receive</a>")

    def test_highlights_a_difference_between_sent_and_arrived(self) -> None:
        """Two syringes lost on the way show against the received transfer."""
        transfer = self.send(12)
        line = transfer.lines.get()
        receive_transfer(
            transfer=transfer, worker=self.worker, occurred_on=TODAY, received={line.pk: 10}
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.context["received"], [transfer])
        self.assertContains(
            response, '<span class="low">Syringe 2 ml: 12 sent, 10 arrived</span>', html=True
        )

    def test_an_me_officer_reads_the_list_without_a_receive_button(self) -> None:
        self.send(12)
        self.client.force_login(self.officer)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, ">Receive</a>")

    def test_an_outsider_sees_none_of_another_organisations_transfers(self) -> None:
        self.send(12)
        self.client.force_login(self.outsider)
        response = self.client.get(self.url)
        self.assertEqual(response.context["in_transit"], [])
        self.assertNotContains(response, "Bus 1")

    def test_a_courier_may_not_read_it(self) -> None:
        courier = make_staff(self.org, "courier", Role.COURIER, self.site)
        self.client.force_login(courier)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_takes_the_same_number_of_queries_whatever_the_number_of_transfers(self) -> None:
        self.send(1)
        self.send(1, received_now=True)
        self.client.force_login(self.worker)
        with CaptureQueriesContext(connection) as small:
            self.client.get(self.url)
        for _ in range(15):
            self.send(1)
            self.send(1, received_now=True)
        with self.assertNumQueries(len(small.captured_queries)):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["in_transit"]), 16)
        self.assertEqual(len(small.captured_queries), TRANSFER_LIST_QUERIES)


class ReceiveTransferTests(MovementViewTestCase):
    transfer: Transfer

    def setUp(self) -> None:
        super().setUp()
        self.transfer = send_transfer(
            source=self.store,
            destination=self.bus,
            lines=[(self.syringe, 20), (self.naloxone, 12)],
            worker=self.worker,
            occurred_on=TODAY,
        )
        self.url = reverse("inventory:transfer_receive", args=[self.transfer.pk])
        self.lines = {(line.item_id, line.lot): line for line in self.transfer.lines.all()}

    def field(self, item: Item, lot: str = "") -> str:
        return f"line_{self.lines[(item.pk, lot)].pk}"

    def as_sent(self) -> dict[str, int]:
        return {f"line_{line.pk}": line.sent for line in self.lines.values()}

    def test_shows_a_line_per_item_and_lot_prefilled_with_what_was_sent(self) -> None:
        """Naloxone came from two lots, so it has two lines."""
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.lines), 3)
        self.assertContains(response, f'name="{self.field(self.naloxone, "N-EARLY")}" value="10"')
        self.assertContains(response, f'name="{self.field(self.naloxone)}" value="2"')
        self.assertContains(response, f'name="{self.field(self.syringe)}" value="20"')

    def test_books_what_arrived_and_shows_the_difference_afterwards(self) -> None:
        """Two syringes short: the bus gets 18 and the page shows −2."""
        self.client.force_login(self.worker)
        data = self.as_sent() | {self.field(self.syringe): 18}
        response = self.client.post(self.url, data, follow=True)
        self.assertRedirects(response, self.url)
        self.assertContains(response, "Received; 2 units less arrived than were sent.")
        self.assertContains(response, '<td class="num low">-2</td>', html=True)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 18)
        self.assertEqual(self.on_hand(self.bus, self.naloxone), 12)
        self.transfer.refresh_from_db()
        self.assertEqual(self.transfer.status, Transfer.Status.RECEIVED)
        self.assertEqual(self.transfer.received_by, self.worker)

    def test_everything_arriving_says_so(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url, self.as_sent(), follow=True)
        self.assertContains(response, "Received; everything sent arrived.")

    def test_refuses_more_than_was_sent(self) -> None:
        """A line cannot gain stock on the way; nothing of the receipt is booked."""
        self.client.force_login(self.worker)
        before = StockMovement.objects.count()
        response = self.client.post(self.url, self.as_sent() | {self.field(self.syringe): 21})
        self.assertContains(
            response, "Between 0 and 20 of Syringe 2 ml can arrive.", status_code=422
        )
        self.assertEqual(StockMovement.objects.count(), before)
        self.assertEqual(self.on_hand(self.bus, self.naloxone), 0)

    def test_refuses_to_receive_a_transfer_twice(self) -> None:
        self.client.force_login(self.worker)
        self.client.post(self.url, self.as_sent())
        before = StockMovement.objects.count()
        response = self.client.post(self.url, self.as_sent())
        self.assertContains(response, "This transfer was already received.", status_code=422)
        self.assertEqual(StockMovement.objects.count(), before)

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.as_sent()).status_code, 404)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 0)

    def test_a_case_manager_may_not_receive(self) -> None:
        self.client.force_login(self.case_manager)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, self.as_sent()).status_code, 403)
