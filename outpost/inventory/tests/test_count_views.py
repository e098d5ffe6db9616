"""Counting a location: starting, the count sheet, and the history of counts.

Pages are read in English, so that messages compare with their source text.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, make_staff
from outpost.inventory.actions import dispense_stock
from outpost.inventory.models import StockMovement, Stocktake, StocktakeLine
from outpost.inventory.stocktakes import apply_count, save_counts, start_count
from outpost.inventory.tests.test_transfer_views import MovementViewTestCase
from outpost.orgs.models import User

# Session, user, second factor, session touch, membership (twice),
# location, counts, their differing lines.
COUNT_HISTORY_QUERIES = 9


class CountTestCase(MovementViewTestCase):
    other_worker: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.other_worker = make_staff(cls.org, "other_worker", Role.SOCIAL_WORKER, cls.site)

    def line(self, stocktake: Stocktake, item_id: int, lot: str = "") -> StocktakeLine:
        return stocktake.lines.get(item_id=item_id, lot=lot)

    def all_counted(self, stocktake: Stocktake, **changes: int) -> dict[str, int]:
        """Every line counted as expected, but for ``changes`` (line field → count)."""
        counts = {f"line_{line.pk}": line.expected for line in stocktake.lines.all()}
        counts.update(changes)
        return counts


class StartCountTests(CountTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:count_start", args=[self.store.pk])

    def test_explains_the_count_before_it_starts(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "A count sheet lists every item and lot")
        self.assertContains(response, "Start counting")
        self.assertFalse(Stocktake.objects.exists())

    def test_starts_a_sheet_and_goes_to_it(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url)
        stocktake = Stocktake.objects.get()
        self.assertRedirects(response, reverse("inventory:count_sheet", args=[stocktake.pk]))
        self.assertEqual(stocktake.started_by, self.worker)

    def test_the_same_counter_continues_the_open_sheet(self) -> None:
        self.client.force_login(self.worker)
        self.client.post(self.url)
        self.client.post(self.url)
        self.assertEqual(Stocktake.objects.count(), 1)
        self.assertContains(self.client.get(self.url), "Continue counting")

    def test_refuses_a_second_counter_with_a_clear_message(self) -> None:
        """Someone else counting: who, where and since when; nothing is saved."""
        start_count(location=self.store, worker=self.other_worker)
        self.client.force_login(self.worker)
        response = self.client.post(self.url)
        self.assertContains(
            response, "other_worker has been counting Sumy room since", status_code=422
        )
        self.assertEqual(Stocktake.objects.count(), 1)
        self.assertNotContains(response, "Start counting", status_code=422)

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.assertFalse(Stocktake.objects.exists())

    def test_a_case_manager_may_not_count(self) -> None:
        self.client.force_login(self.case_manager)
        self.assertEqual(self.client.post(self.url).status_code, 403)
        self.assertFalse(Stocktake.objects.exists())


class CountSheetTests(CountTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.stocktake = start_count(location=self.store, worker=self.worker)
        self.url = reverse("inventory:count_sheet", args=[self.stocktake.pk])
        self.syringes = self.line(self.stocktake, self.syringe.pk)

    def test_shows_a_number_input_per_line_with_what_is_expected(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, f'name="line_{self.syringes.pk}"')
        self.assertContains(response, "N-EARLY")
        self.assertContains(response, '<td class="num">100</td>', html=True)
        self.assertContains(response, "Found something the sheet does not list?")

    def test_save_keeps_the_sheet_open_with_the_figures(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url, {"action": "save", f"line_{self.syringes.pk}": 97}, follow=True
        )
        self.assertContains(response, "Counts saved; the sheet stays open.")
        self.assertContains(response, f'name="line_{self.syringes.pk}" value="97"')
        self.syringes.refresh_from_db()
        self.assertEqual(self.syringes.counted, 97)
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.COUNTING)
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_apply_saves_and_books_the_differences_in_one_step(self) -> None:
        """Three syringes missing become one stocktake correction of −3."""
        self.client.force_login(self.worker)
        data = self.all_counted(self.stocktake, **{f"line_{self.syringes.pk}": 97})
        response = self.client.post(self.url, {"action": "apply", **data}, follow=True)
        self.assertContains(response, "Count applied; the differences are booked.")
        self.assertContains(response, '<td class="num low">-3</td>', html=True)
        self.assertEqual(self.on_hand(self.store, self.syringe), 97)
        movement = StockMovement.objects.get(stocktake=self.stocktake)
        self.assertEqual((movement.item_id, movement.quantity), (self.syringe.pk, -3))
        self.assertEqual(movement.reason, StockMovement.Reason.STOCKTAKE)
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.APPLIED)

    def test_refuses_to_apply_a_sheet_with_lines_not_counted_and_saves_nothing(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url, {"action": "apply", f"line_{self.syringes.pk}": 97})
        self.assertContains(response, "lines are not counted yet", status_code=422)
        self.syringes.refresh_from_db()
        self.assertIsNone(self.syringes.counted)
        self.assertFalse(StockMovement.objects.filter(stocktake=self.stocktake).exists())
        # The figure typed stays on the page.
        self.assertContains(
            response, f'name="line_{self.syringes.pk}" value="97"', status_code=422
        )

    def test_refuses_a_negative_count(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url, {"action": "save", f"line_{self.syringes.pk}": -1})
        self.assertContains(response, "A count must be between 0 and 100000.", status_code=422)
        self.syringes.refresh_from_db()
        self.assertIsNone(self.syringes.counted)

    def test_refuses_to_apply_an_item_that_moved_while_it_was_counted(self) -> None:
        """All 100 syringes counted gone, but 10 were handed out meanwhile."""
        dispense_stock(
            location=self.store, lines=[(self.syringe, 10)], worker=self.worker, occurred_on=TODAY
        )
        self.client.force_login(self.worker)
        data = self.all_counted(self.stocktake, **{f"line_{self.syringes.pk}": 0})
        before = StockMovement.objects.count()
        response = self.client.post(self.url, {"action": "apply", **data})
        self.assertContains(
            response,
            "Syringe 2 ml moved while it was being counted; count it again.",
            status_code=422,
        )
        self.assertEqual(StockMovement.objects.count(), before)
        self.assertEqual(self.on_hand(self.store, self.syringe), 90)
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.COUNTING)

    def test_adds_a_found_lot_to_the_sheet(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url,
            {
                "action": "add",
                "item": self.naloxone.pk,
                "lot": "N-FOUND",
                "expires_on": "2027-01-31",
                "counted": 4,
            },
            follow=True,
        )
        self.assertContains(response, "Line added to the sheet.")
        line = self.line(self.stocktake, self.naloxone.pk, "N-FOUND")
        self.assertEqual((line.expected, line.counted), (0, 4))

    def test_refuses_a_found_naloxone_lot_without_expiry(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url, {"action": "add", "item": self.naloxone.pk, "lot": "N-X", "counted": 4}
        )
        self.assertContains(
            response, "Naloxone 0.4 mg/ml ampoule needs an expiry date.", status_code=422
        )
        self.assertFalse(self.stocktake.lines.filter(lot="N-X").exists())

    def test_the_counter_cancels_the_sheet_without_changing_stock(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url, {"action": "cancel"}, follow=True)
        self.assertRedirects(response, reverse("inventory:count_history", args=[self.store.pk]))
        self.assertContains(response, "Count cancelled; stock is unchanged.")
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.CANCELLED)

    def test_another_worker_reads_the_sheet_but_cannot_fill_or_cancel_it(self) -> None:
        self.client.force_login(self.other_worker)
        response = self.client.get(self.url)
        self.assertContains(response, "worker is counting this place")
        self.assertNotContains(response, f'name="line_{self.syringes.pk}"')
        self.assertNotContains(response, "Cancel this count")
        for action in ("save", "cancel"):
            response = self.client.post(
                self.url, {"action": action, f"line_{self.syringes.pk}": 1}
            )
            self.assertContains(
                response, "worker has been counting Sumy room since", status_code=422
            )
        self.syringes.refresh_from_db()
        self.assertIsNone(self.syringes.counted)
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.COUNTING)

    def test_a_manager_may_cancel_someone_elses_stuck_sheet(self) -> None:
        self.client.force_login(self.manager)
        self.assertContains(self.client.get(self.url), "Cancel this count for them")
        self.client.post(self.url, {"action": "cancel"})
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.CANCELLED)
        self.assertEqual(self.stocktake.closed_by, self.manager)

    def test_a_closed_sheet_is_read_only_and_refuses_changes(self) -> None:
        save_counts(
            stocktake=self.stocktake,
            worker=self.worker,
            counts={line.pk: line.expected for line in self.stocktake.lines.all()},
        )
        apply_count(stocktake=self.stocktake, worker=self.worker, occurred_on=TODAY)
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertNotContains(response, f'name="line_{self.syringes.pk}"')
        response = self.client.post(self.url, {"action": "save", f"line_{self.syringes.pk}": 5})
        self.assertContains(response, "This count is already closed.", status_code=422)

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, {"action": "cancel"}).status_code, 404)
        self.stocktake.refresh_from_db()
        self.assertEqual(self.stocktake.status, Stocktake.Status.COUNTING)

    def test_an_me_officer_may_not_open_the_sheet(self) -> None:
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.url).status_code, 403)


class CountHistoryTests(CountTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:count_history", args=[self.store.pk])

    def count(self, worker: User, **changes: int) -> Stocktake:
        """A count of the store that found ``changes`` (item id → counted)."""
        stocktake = start_count(location=self.store, worker=worker)
        counts: dict[int, int | None] = {}
        for line in stocktake.lines.all():
            counts[line.pk] = line.expected
            if line.lot == "" and str(line.item_id) in changes:
                counts[line.pk] = changes[str(line.item_id)]
        save_counts(stocktake=stocktake, worker=worker, counts=counts)
        return apply_count(stocktake=stocktake, worker=worker, occurred_on=TODAY)

    def test_lists_past_counts_with_who_and_how_many_lines_differed(self) -> None:
        stocktake = self.count(self.worker, **{str(self.syringe.pk): 95, str(self.condom.pk): 101})
        self.client.force_login(self.officer)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["stocktakes"], [stocktake])
        row = response.context["stocktakes"][0]
        self.assertEqual((row.differed, row.net), (2, -4))
        self.assertContains(response, "<td>worker</td>", html=True)
        self.assertContains(response, '<td class="num low">2</td>', html=True)
        self.assertContains(response, "100 expected, 95 counted")
        self.assertContains(response, "100 expected, 101 counted")

    def test_says_when_a_place_was_never_counted(self) -> None:
        self.client.force_login(self.worker)
        self.assertContains(self.client.get(self.url), "This place has not been counted yet.")

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_a_courier_may_not_read_it(self) -> None:
        courier = make_staff(self.org, "courier", Role.COURIER, self.site)
        self.client.force_login(courier)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_takes_the_same_number_of_queries_whatever_the_number_of_counts(self) -> None:
        self.count(self.worker, **{str(self.syringe.pk): 99})
        self.client.force_login(self.worker)
        with CaptureQueriesContext(connection) as small:
            self.client.get(self.url)
        for day in range(8):
            with self.subTest(day=day):
                self.count(self.worker, **{str(self.syringe.pk): 90 - day})
        with self.assertNumQueries(len(small.captured_queries)):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["stocktakes"]), 9)
        self.assertEqual(len(small.captured_queries), COUNT_HISTORY_QUERIES)
