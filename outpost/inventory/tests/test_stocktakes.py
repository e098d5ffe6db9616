"""Counting a location: one sheet at a time, differences applied in one step."""

from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, make_staff
from outpost.inventory.actions import dispense_stock
from outpost.inventory.models import StockMovement, Stocktake
from outpost.inventory.stocktakes import (
    add_count_line,
    apply_count,
    cancel_count,
    save_counts,
    start_count,
)
from outpost.inventory.tests.test_movements import MovementTestCase


class StocktakeTests(MovementTestCase):
    def counts_matching(self, stocktake: Stocktake, **changed: int) -> dict[int, int | None]:
        """Lines not counted yet as expected, except the items named by their pk."""
        return {
            line.pk: changed.get(
                str(line.item_id), line.expected if line.counted is None else line.counted
            )
            for line in stocktake.lines.all()
        }

    def test_the_sheet_lists_what_the_ledger_expects(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        expected = {line.item_id: line.expected for line in stocktake.lines.all()}
        self.assertEqual(expected[self.syringe.pk], 100)
        self.assertEqual(expected[self.condom.pk], 100)

    def test_differences_become_stocktake_adjustments(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        counts = self.counts_matching(stocktake, **{str(self.syringe.pk): 96})
        save_counts(stocktake=stocktake, worker=self.worker, counts=counts)
        apply_count(stocktake=stocktake, worker=self.worker, occurred_on=TODAY)
        adjustment = StockMovement.objects.get(stocktake=stocktake)
        self.assertEqual(
            (adjustment.item, adjustment.quantity, adjustment.reason),
            (self.syringe, -4, "stocktake"),
        )
        self.assertEqual(self.on_hand(self.store, self.syringe), 96)
        stocktake.refresh_from_db()
        self.assertEqual(stocktake.status, Stocktake.Status.APPLIED)

    def test_entries_made_during_the_count_are_not_corrected_twice(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        dispense_stock(
            location=self.store, lines=[(self.syringe, 10)], worker=self.worker, occurred_on=TODAY
        )
        # The syringes were counted before the visit took ten: all 100 there.
        save_counts(
            stocktake=stocktake, worker=self.worker, counts=self.counts_matching(stocktake)
        )
        apply_count(stocktake=stocktake, worker=self.worker, occurred_on=TODAY)
        self.assertEqual(self.on_hand(self.store, self.syringe), 90)
        self.assertFalse(StockMovement.objects.filter(stocktake=stocktake).exists())

    def test_someone_else_cannot_count_the_same_location(self) -> None:
        start_count(location=self.store, worker=self.worker)
        colleague = make_staff(self.org, "colleague", Role.SOCIAL_WORKER, self.site)
        with self.assertRaisesMessage(DomainError, "has been counting Sumy room since"):
            start_count(location=self.store, worker=colleague)
        self.assertEqual(Stocktake.objects.count(), 1)

    def test_the_same_worker_continues_their_own_sheet(self) -> None:
        first = start_count(location=self.store, worker=self.worker)
        self.assertEqual(start_count(location=self.store, worker=self.worker).pk, first.pk)

    def test_refuses_to_apply_a_sheet_with_lines_not_counted(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        with self.assertRaisesMessage(DomainError, "not counted yet"):
            apply_count(stocktake=stocktake, worker=self.worker, occurred_on=TODAY)
        self.assertEqual(Stocktake.objects.get().status, Stocktake.Status.COUNTING)

    def test_refuses_a_count_that_would_take_stock_that_has_left(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        dispense_stock(
            location=self.store, lines=[(self.syringe, 95)], worker=self.worker, occurred_on=TODAY
        )
        counts = self.counts_matching(stocktake, **{str(self.syringe.pk): 90})
        save_counts(stocktake=stocktake, worker=self.worker, counts=counts)
        with self.assertRaisesMessage(DomainError, "moved while it was being counted"):
            apply_count(stocktake=stocktake, worker=self.worker, occurred_on=TODAY)
        self.assertFalse(StockMovement.objects.filter(kind="adjustment").exists())
        self.assertEqual(self.on_hand(self.store, self.syringe), 5)

    def test_found_stock_of_a_new_lot_is_added(self) -> None:
        stocktake = start_count(location=self.bus, worker=self.worker)
        add_count_line(
            stocktake=stocktake,
            worker=self.worker,
            item=self.naloxone,
            lot="FOUND",
            expires_on=TODAY.replace(year=2027),
            counted=3,
        )
        save_counts(
            stocktake=stocktake, worker=self.worker, counts=self.counts_matching(stocktake)
        )
        apply_count(stocktake=stocktake, worker=self.worker, occurred_on=TODAY)
        self.assertEqual(self.on_hand(self.bus, self.naloxone, "FOUND"), 3)

    def test_refuses_a_negative_count(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        line = stocktake.lines.first()
        assert line is not None
        with self.assertRaisesMessage(DomainError, "between 0 and"):
            save_counts(stocktake=stocktake, worker=self.worker, counts={line.pk: -1})

    def test_a_manager_may_cancel_a_stuck_sheet(self) -> None:
        stocktake = start_count(location=self.store, worker=self.worker)
        with self.assertRaisesMessage(DomainError, "has been counting"):
            cancel_count(stocktake=stocktake, worker=self.manager)
        cancel_count(stocktake=stocktake, worker=self.manager, may_cancel_others=True)
        self.assertEqual(
            start_count(location=self.store, worker=self.manager).started_by, self.manager
        )
