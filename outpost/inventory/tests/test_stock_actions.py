import datetime

from django.db.models import Sum

from outpost.catalogue.models import Item
from outpost.core.errors import DomainError
from outpost.core.tests.base import TODAY, BaseTestCase
from outpost.inventory.actions import dispense_stock, receive_stock, store_of
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import StockBalance, StockMovement


class StockActionTests(BaseTestCase):
    def on_hand(self, item: Item) -> int:
        total = StockBalance.objects.filter(location=store_of(self.site), item=item).aggregate(
            total=Sum("quantity")
        )["total"]
        return int(total or 0)

    def test_receipt_adds_to_the_balance_through_a_movement(self) -> None:
        receive_stock(
            location=store_of(self.site),
            item=self.syringe,
            quantity=40,
            worker=self.manager,
            supplier="Alliance",
            occurred_on=TODAY,
        )
        self.assertEqual(self.on_hand(self.syringe), 140)
        movement = StockMovement.objects.filter(item=self.syringe).latest("pk")
        self.assertEqual((movement.kind, movement.quantity), ("receipt", 40))

    def test_refuses_zero_negative_and_huge_receipts(self) -> None:
        for quantity in (0, -5, 100_001):
            with self.subTest(quantity=quantity), self.assertRaises(DomainError):
                receive_stock(
                    location=store_of(self.site),
                    item=self.syringe,
                    quantity=quantity,
                    worker=self.manager,
                    occurred_on=TODAY,
                )
        self.assertEqual(self.on_hand(self.syringe), 100)

    def test_refuses_naloxone_without_an_expiry_date(self) -> None:
        naloxone = self.org.items.get(category__code="naloxone")
        with self.assertRaisesMessage(DomainError, "expiry"):
            receive_stock(
                location=store_of(self.site),
                item=naloxone,
                quantity=5,
                worker=self.manager,
                occurred_on=TODAY,
            )

    def test_refuses_an_item_of_another_organisation(self) -> None:
        foreign = self.other_org.items.get(name="Syringe 2 ml")
        with self.assertRaises(DomainError):
            receive_stock(
                location=store_of(self.site),
                item=foreign,
                quantity=5,
                worker=self.manager,
                occurred_on=TODAY,
            )

    def test_out_of_stock_names_the_item_and_what_is_on_hand(self) -> None:
        with self.assertRaisesMessage(OutOfStock, "Syringe 2 ml") as caught:
            dispense_stock(
                location=store_of(self.site),
                lines=[(self.syringe, 101)],
                worker=self.worker,
                occurred_on=TODAY,
            )
        self.assertIn("100", caught.exception.message)
        self.assertEqual(self.on_hand(self.syringe), 100)

    def test_dispensing_takes_the_lot_that_expires_first(self) -> None:
        naloxone = self.org.items.get(category__code="naloxone")
        location = store_of(self.site)
        for lot, expiry in (("LATE", datetime.date(2031, 1, 1)), ("SOON", TODAY.replace(month=9))):
            receive_stock(
                location=location,
                item=naloxone,
                quantity=3,
                lot=lot,
                expires_on=expiry,
                worker=self.manager,
                occurred_on=TODAY,
            )
        movements = dispense_stock(
            location=location, lines=[(naloxone, 4)], worker=self.worker, occurred_on=TODAY
        )
        taken = {m.lot: -m.quantity for m in movements}
        self.assertEqual(taken, {"SOON": 3, "": 1})

    def test_expired_lots_are_never_dispensed(self) -> None:
        wipe = self.org.items.get(name="Alcohol wipe")
        location = store_of(self.site)
        StockBalance.objects.filter(location=location, item=wipe).update(
            expires_on=TODAY - datetime.timedelta(days=1)
        )
        with self.assertRaises(OutOfStock) as caught:
            dispense_stock(
                location=location, lines=[(wipe, 1)], worker=self.worker, occurred_on=TODAY
            )
        self.assertEqual(caught.exception.on_hand, 0)

    def test_refuses_to_dispense_zero_or_negative_quantities(self) -> None:
        """Regression: a negative dispense once added stock."""
        for quantity in (0, -3):
            with self.subTest(quantity=quantity), self.assertRaises(DomainError):
                dispense_stock(
                    location=store_of(self.site),
                    lines=[(self.syringe, quantity)],
                    worker=self.worker,
                    occurred_on=TODAY,
                )
        self.assertEqual(self.on_hand(self.syringe), 100)

    def test_refuses_a_second_expiry_date_for_the_same_lot(self) -> None:
        naloxone = self.org.items.get(category__code="naloxone")
        location = store_of(self.site)
        receive_stock(
            location=location,
            item=naloxone,
            quantity=5,
            lot="N1",
            expires_on=datetime.date(2027, 1, 1),
            worker=self.manager,
            occurred_on=TODAY,
        )
        with self.assertRaisesMessage(DomainError, "N1"):
            receive_stock(
                location=location,
                item=naloxone,
                quantity=5,
                lot="N1",
                expires_on=datetime.date(2026, 6, 1),
                worker=self.manager,
                occurred_on=TODAY,
            )
        balance = StockBalance.objects.get(location=location, item=naloxone, lot="N1")
        self.assertEqual((balance.quantity, balance.expires_on), (5, datetime.date(2027, 1, 1)))
