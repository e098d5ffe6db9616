"""The small-numbers rule as reports meant to leave the organisation apply it."""

from django.test import SimpleTestCase

from outpost.reports.definitions import MEASURES_BY_ID
from outpost.reports.indicators import TOTAL, Figure
from outpost.reports.output import SMALL, shown


def contacts(total: int, cells: dict[tuple[str, ...], int]) -> Figure:
    figure = Figure(MEASURES_BY_ID["contacts"], split=True, total=total)
    figure.cells.update(cells)
    return figure


class SmallNumbersTests(SimpleTestCase):
    def test_spec_3_4_counts_from_1_to_9_show_as_under_10_outside_only(self) -> None:
        figure = contacts(40, {("1",): 3, ("2",): 12, ("3",): 25})
        self.assertEqual(shown(figure, ("1",), outside=True), SMALL)
        self.assertEqual(shown(figure, ("1",), outside=False), 3)
        self.assertEqual(shown(figure, TOTAL, outside=True), 40)

    def test_spec_3_4_a_small_cell_cannot_be_worked_back_from_the_total(self) -> None:
        """40 − 12 − 25 would give the hidden 3: the smallest other cell goes too."""
        figure = contacts(40, {("1",): 3, ("2",): 12, ("3",): 25})
        self.assertEqual(
            [shown(figure, key, outside=True) for key in [("1",), ("2",), ("3",)]],
            [SMALL, None, 25],
        )

    def test_small_cells_adding_up_to_10_need_no_other_cell_hidden(self) -> None:
        figure = contacts(31, {("1",): 4, ("2",): 6, ("3",): 21})
        self.assertEqual(
            [shown(figure, key, outside=True) for key in [("1",), ("2",), ("3",)]],
            [SMALL, SMALL, 21],
        )

    def test_zero_and_large_counts_are_shown_when_nothing_is_small(self) -> None:
        figure = contacts(30, {("1",): 0, ("2",): 30})
        self.assertEqual(shown(figure, ("1",), outside=True), 0)
        self.assertEqual(shown(figure, ("2",), outside=True), 30)
