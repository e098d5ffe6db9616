"""Transfers, kit assembly, adjustments and orders move stock only through the ledger."""

import datetime

from django.db.models import Sum

from outpost.catalogue.models import Item, Kit
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import ContactItem
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, BaseTestCase
from outpost.inventory.actions import (
    adjust_stock,
    assemble_kits,
    cancel_order,
    dispense_stock,
    place_order,
    receive_stock,
    store_of,
    write_off_expired,
)
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import (
    Location,
    StockBalance,
    StockMovement,
    StockOrder,
    Transfer,
)
from outpost.inventory.transfers import receive_transfer, send_transfer


class MovementTestCase(BaseTestCase):
    store: Location
    bus: Location
    naloxone: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.store = store_of(cls.site)
        cls.bus = Location.objects.create(
            org=cls.org, site=cls.site, name="Bus 1", kind=Location.Kind.MOBILE_UNIT
        )
        cls.naloxone = Item.objects.get(org=cls.org, category__code="naloxone")

    def on_hand(self, location: Location, item: Item | None, lot: str | None = None) -> int:
        balances = StockBalance.objects.filter(location=location, item=item)
        if lot is not None:
            balances = balances.filter(lot=lot)
        return int(balances.aggregate(total=Sum("quantity"))["total"] or 0)

    def ledger(self, location: Location, item: Item) -> int:
        movements = StockMovement.objects.filter(location=location, item=item)
        return int(movements.aggregate(total=Sum("quantity"))["total"] or 0)

    def receive_naloxone(
        self, lot: str, quantity: int, expires_on: datetime.date, on: datetime.date = TODAY
    ) -> None:
        receive_stock(
            location=self.store,
            item=self.naloxone,
            quantity=quantity,
            lot=lot,
            expires_on=expires_on,
            worker=self.manager,
            occurred_on=on,
        )


class TransferTests(MovementTestCase):
    def send(self, quantity: int, **options: object) -> Transfer:
        return send_transfer(
            source=self.store,
            destination=self.bus,
            lines=[(self.syringe, quantity)],
            worker=self.worker,
            occurred_on=TODAY,
            **options,  # type: ignore[arg-type]
        )

    def test_stock_in_transit_is_in_neither_place(self) -> None:
        transfer = self.send(30)
        self.assertEqual(transfer.status, Transfer.Status.IN_TRANSIT)
        self.assertEqual(
            (self.on_hand(self.store, self.syringe), self.on_hand(self.bus, self.syringe)), (70, 0)
        )

    def test_receiving_books_what_arrived_and_keeps_the_difference(self) -> None:
        transfer = self.send(30)
        line = transfer.lines.get()
        receive_transfer(
            transfer=transfer, worker=self.manager, occurred_on=TODAY, received={line.pk: 28}
        )
        line.refresh_from_db()
        self.assertEqual((line.sent, line.received, line.difference), (30, 28, -2))
        self.assertEqual(self.on_hand(self.bus, self.syringe), 28)
        self.assertEqual(self.ledger(self.bus, self.syringe), 28)
        self.assertEqual(self.ledger(self.store, self.syringe), 70)

    def test_arrived_now_receives_everything_sent(self) -> None:
        transfer = self.send(30, received_now=True)
        self.assertEqual(transfer.status, Transfer.Status.RECEIVED)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 30)

    def test_a_lot_travels_with_its_expiry(self) -> None:
        self.receive_naloxone("N-7", 10, datetime.date(2027, 5, 1))
        send_transfer(
            source=self.store,
            destination=self.bus,
            lines=[(self.naloxone, 4, "N-7")],
            worker=self.worker,
            occurred_on=TODAY,
            received_now=True,
        )
        balance = StockBalance.objects.get(location=self.bus, item=self.naloxone)
        self.assertEqual(
            (balance.lot, balance.expires_on, balance.quantity),
            ("N-7", datetime.date(2027, 5, 1), 4),
        )

    def test_refuses_a_transfer_to_the_same_place(self) -> None:
        with self.assertRaisesMessage(DomainError, "other than the one it leaves"):
            send_transfer(
                source=self.store,
                destination=self.store,
                lines=[(self.syringe, 5)],
                worker=self.worker,
                occurred_on=TODAY,
            )
        self.assertEqual(Transfer.objects.count(), 0)

    def test_refuses_more_than_is_on_hand_and_saves_nothing(self) -> None:
        with self.assertRaises(OutOfStock):
            send_transfer(
                source=self.store,
                destination=self.bus,
                lines=[(self.condom, 5), (self.syringe, 101)],
                worker=self.worker,
                occurred_on=TODAY,
            )
        self.assertEqual(Transfer.objects.count(), 0)
        self.assertEqual(self.on_hand(self.store, self.condom), 100)

    def test_refuses_zero_and_negative_quantities(self) -> None:
        for quantity in (0, -3):
            with self.subTest(quantity=quantity), self.assertRaises(DomainError):
                self.send(quantity)
        self.assertEqual(Transfer.objects.count(), 0)

    def test_refuses_more_arriving_than_was_sent_and_a_second_receipt(self) -> None:
        transfer = self.send(10)
        line = transfer.lines.get()
        with self.assertRaisesMessage(DomainError, "Between 0 and 10"):
            receive_transfer(
                transfer=transfer, worker=self.manager, occurred_on=TODAY, received={line.pk: 11}
            )
        self.assertEqual(self.on_hand(self.bus, self.syringe), 0)
        receive_transfer(transfer=transfer, worker=self.manager, occurred_on=TODAY)
        with self.assertRaisesMessage(DomainError, "already received"):
            receive_transfer(transfer=transfer, worker=self.manager, occurred_on=TODAY)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 10)

    def test_a_retried_send_sends_once(self) -> None:
        import uuid

        key = uuid.uuid4()
        first = self.send(10, idempotency_key=key)
        second = self.send(10, idempotency_key=key)
        self.assertEqual(first.pk, second.pk)
        self.assertEqual(self.on_hand(self.store, self.syringe), 90)


class KitAssemblyTests(MovementTestCase):
    kit: Kit

    def setUp(self) -> None:
        self.kit = Kit.objects.get(org=self.org, name="Safer sex kit")  # 5 condoms, 2 lubricant

    def test_components_go_out_and_kits_come_in(self) -> None:
        movement = assemble_kits(
            location=self.store, kit=self.kit, count=4, worker=self.worker, occurred_on=TODAY
        )
        self.kit.refresh_from_db()
        self.assertEqual(movement.item, self.kit.stock_item)
        self.assertEqual(self.on_hand(self.store, self.condom), 80)
        self.assertEqual(self.on_hand(self.store, self.kit.stock_item), 4)
        kinds = set(
            StockMovement.objects.filter(
                location=self.store, kind__startswith="assembly"
            ).values_list("kind", flat=True)
        )
        self.assertEqual(kinds, {"assembly_out", "assembly_in"})

    def test_a_kit_expires_with_its_first_component(self) -> None:
        kit = Kit.objects.get(org=self.org, name="Naloxone kit")
        self.receive_naloxone("EARLY", 4, datetime.date(2026, 9, 1))
        assemble_kits(location=self.store, kit=kit, count=2, worker=self.worker, occurred_on=TODAY)
        kit.refresh_from_db()
        balance = StockBalance.objects.get(location=self.store, item=kit.stock_item)
        self.assertEqual(
            (balance.lot, balance.expires_on), ("2026-09-01", datetime.date(2026, 9, 1))
        )

    def test_refuses_more_kits_than_the_components_make_and_saves_nothing(self) -> None:
        message = "Not enough Condom to pack 21 × Safer sex kit: 105 needed, 100 usable on hand."
        with self.assertRaisesMessage(DomainError, message):
            assemble_kits(
                location=self.store, kit=self.kit, count=21, worker=self.worker, occurred_on=TODAY
            )
        self.assertEqual(self.on_hand(self.store, self.condom), 100)
        self.assertFalse(StockMovement.objects.filter(kind__startswith="assembly").exists())

    def test_a_visit_hands_out_assembled_kits_first_then_loose_components(self) -> None:
        assemble_kits(
            location=self.store, kit=self.kit, count=1, worker=self.worker, occurred_on=TODAY
        )
        self.kit.refresh_from_db()
        contact = record_contact(
            site=self.site,
            worker=self.worker,
            channel="window",
            client=self.anna,
            handout=Handout(kits=[(self.kit, 2)]),
        )
        self.assertEqual(self.on_hand(self.store, self.kit.stock_item), 0)
        # One kit came packed, the other from 5 loose condoms.
        self.assertEqual(self.on_hand(self.store, self.condom), 90)
        # Indicators still count the condoms of both kits.
        condoms = ContactItem.objects.filter(contact=contact, item=self.condom)
        self.assertEqual(condoms.aggregate(total=Sum("quantity"))["total"], 10)


class AdjustmentTests(MovementTestCase):
    def test_a_loss_takes_stock_with_its_reason(self) -> None:
        movement = adjust_stock(
            location=self.store,
            item=self.syringe,
            lot="",
            quantity=-7,
            reason="loss",
            note="Bag torn",
            worker=self.manager,
            occurred_on=TODAY,
        )
        self.assertEqual(
            (movement.kind, movement.reason, movement.quantity), ("adjustment", "loss", -7)
        )
        self.assertEqual(self.on_hand(self.store, self.syringe), 93)
        self.assertTrue(AuditEvent.objects.filter(verb="stock.adjusted").exists())

    def test_refuses_an_adjustment_without_a_reason(self) -> None:
        with self.assertRaisesMessage(DomainError, "reason"):
            adjust_stock(
                location=self.store,
                item=self.syringe,
                lot="",
                quantity=-1,
                reason="",
                worker=self.manager,
                occurred_on=TODAY,
            )
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_refuses_taking_more_than_the_lot_holds(self) -> None:
        with self.assertRaises(OutOfStock):
            adjust_stock(
                location=self.store,
                item=self.syringe,
                lot="",
                quantity=-101,
                reason="damage",
                worker=self.manager,
                occurred_on=TODAY,
            )

    def test_found_naloxone_needs_an_expiry_date(self) -> None:
        with self.assertRaisesMessage(DomainError, "needs an expiry date"):
            adjust_stock(
                location=self.store,
                item=self.naloxone,
                lot="NEW",
                quantity=3,
                reason="found",
                worker=self.manager,
                occurred_on=TODAY,
            )

    def test_expired_lots_are_written_off_and_never_dispensed(self) -> None:
        naloxone_on_hand = self.on_hand(self.store, self.naloxone)
        self.receive_naloxone("GONE", 6, datetime.date(2026, 2, 1), on=datetime.date(2026, 1, 5))
        with self.assertRaisesMessage(OutOfStock, "6 more have expired"):
            dispense_stock(
                location=self.store,
                lines=[(self.naloxone, naloxone_on_hand + 1)],
                worker=self.worker,
                occurred_on=TODAY,
            )
        written = write_off_expired(location=self.store, worker=self.manager, occurred_on=TODAY)
        self.assertEqual(
            [(m.lot, m.quantity, m.reason) for m in written], [("GONE", -6, "expiry")]
        )
        self.assertEqual(self.on_hand(self.store, self.naloxone, "GONE"), 0)

    def test_a_picked_lot_that_expired_is_refused(self) -> None:
        self.receive_naloxone("GONE", 6, datetime.date(2026, 2, 1), on=datetime.date(2026, 1, 5))
        with self.assertRaisesMessage(OutOfStock, "lot GONE"):
            dispense_stock(
                location=self.store,
                lines=[(self.naloxone, 1, "GONE")],
                worker=self.worker,
                occurred_on=TODAY,
            )

    def test_a_picked_lot_is_taken_instead_of_the_first_to_expire(self) -> None:
        self.receive_naloxone("LATER", 6, datetime.date(2031, 1, 1))
        dispense_stock(
            location=self.store,
            lines=[(self.naloxone, 2, "LATER")],
            worker=self.worker,
            occurred_on=TODAY,
        )
        self.assertEqual(self.on_hand(self.store, self.naloxone, "LATER"), 4)


class OrderTests(MovementTestCase):
    def test_a_receipt_against_an_order_closes_it_when_all_has_come(self) -> None:
        order = place_order(
            location=self.store,
            item=self.syringe,
            quantity=50,
            worker=self.manager,
            ordered_on=TODAY,
        )
        for quantity in (20, 30):
            receive_stock(
                location=self.store,
                item=self.syringe,
                quantity=quantity,
                worker=self.manager,
                occurred_on=TODAY,
                order=order,
            )
        order.refresh_from_db()
        self.assertEqual((order.received_quantity, order.status), (50, StockOrder.Status.RECEIVED))

    def test_refuses_a_receipt_against_a_cancelled_order(self) -> None:
        order = place_order(
            location=self.store,
            item=self.syringe,
            quantity=50,
            worker=self.manager,
            ordered_on=TODAY,
        )
        cancel_order(order=order, worker=self.manager)
        with self.assertRaisesMessage(DomainError, "no longer open"):
            receive_stock(
                location=self.store,
                item=self.syringe,
                quantity=5,
                worker=self.manager,
                occurred_on=TODAY,
                order=order,
            )
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_refuses_an_order_expected_before_it_is_placed(self) -> None:
        with self.assertRaisesMessage(DomainError, "expected before"):
            place_order(
                location=self.store,
                item=self.syringe,
                quantity=5,
                worker=self.manager,
                ordered_on=TODAY,
                expected_on=TODAY - datetime.timedelta(days=1),
            )


class ExpiryDateTests(MovementTestCase):
    def test_refuses_a_lot_that_has_already_expired(self) -> None:
        with self.assertRaisesMessage(DomainError, "expired stock cannot go on the shelf"):
            self.receive_naloxone("OLD", 5, TODAY - datetime.timedelta(days=1))
        self.assertFalse(StockBalance.objects.filter(lot="OLD").exists())

    def test_refuses_an_expiry_date_no_lot_can_have(self) -> None:
        with self.assertRaisesMessage(DomainError, "more than 15 years ahead"):
            self.receive_naloxone("FAR", 5, datetime.date(9999, 12, 31))
        with self.assertRaisesMessage(DomainError, "more than 15 years ahead"):
            adjust_stock(
                location=self.store,
                item=self.naloxone,
                lot="FAR",
                quantity=3,
                reason="found",
                expires_on=datetime.date(9999, 12, 31),
                worker=self.manager,
                occurred_on=TODAY,
            )
        self.assertFalse(StockBalance.objects.filter(lot="FAR").exists())
