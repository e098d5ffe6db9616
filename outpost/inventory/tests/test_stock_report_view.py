"""The stock report page and its CSV and XLSX downloads.

The ledger is the one worked out in test_stock_report. Pages are read in
English, so that messages compare with their source text.
"""

import csv
import datetime
import io

import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import make_staff
from outpost.inventory.actions import dispense_stock, receive_stock
from outpost.inventory.tests.test_stock_report import ReportLedgerTestCase
from outpost.orgs.models import User

# Noon in Kyiv on 2 March 2026, the report's "today".
NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
FEBRUARY = {"period": "custom", "start": "2026-02-01", "end": "2026-02-28"}
# Session, user, authenticator, staff session, membership (twice), the
# locations, the categories, then the report's three.
PAGE_QUERIES = 11
TITLE = "Org-A: stock report, 2026-02-01 – 2026-02-28"


@time_machine.travel(NOW, tick=False)
class StockReportViewTestCase(ReportLedgerTestCase):
    officer: User
    courier: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.courier = make_staff(cls.org, "courier", Role.COURIER, cls.site)

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("inventory:report")

    def get(self, user: User, **params: str | list[str]):  # type: ignore[no-untyped-def]  # the test client's response
        self.client.force_login(user)
        return self.client.get(self.url, params)


class StockReportPageTests(StockReportViewTestCase):
    def test_shows_the_period_with_a_title_naming_the_organisation(self) -> None:
        """A worker sees February's rows for each place, and the item's total."""
        response = self.get(self.worker, **FEBRUARY)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, TITLE)
        self.assertContains(response, "Adjusted: Loss")
        # Syringes at the store: opening 500, received 30, in 0, out 240,
        # dispensed 50, kits 0 and 0, loss −5, other reasons 0, closing 235.
        self.assertContains(
            response,
            "<tr><td>Syringe 2 ml</td><td>Syringe</td><td>Sumy room</td>"
            '<td class="num">500</td><td class="num">30</td><td class="num">0</td>'
            '<td class="num">240</td><td class="num">50</td><td class="num">0</td>'
            '<td class="num">0</td><td class="num">-5</td><td class="num">0</td>'
            '<td class="num">0</td><td class="num">0</td><td class="num">0</td>'
            '<td class="num">235</td><td class="num">0</td><td class="num">0</td>'
            '<td class="num">315</td><td class="num">0</td><td class="num">0</td>'
            '<td class="num">189</td></tr>',
            html=True,
        )
        self.assertContains(response, '<tr class="total">', count=1)
        self.assertContains(response, "<td>All locations</td>", count=1, html=True)

    def test_opens_on_this_month_to_today(self) -> None:
        """Without filters the report covers 1–2 March."""
        response = self.get(self.worker)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Org-A: stock report, 2026-03-01 – 2026-03-02")

    def test_last_month_is_february(self) -> None:
        response = self.get(self.worker, period="last_month")
        self.assertContains(response, TITLE)

    def test_a_period_running_past_today_ends_today(self) -> None:
        """The stock of days to come is not known yet."""
        response = self.get(self.worker, period="custom", start="2026-03-01", end="2026-03-31")
        self.assertContains(response, "Org-A: stock report, 2026-03-01 – 2026-03-02")

    def test_chosen_locations_and_a_category_narrow_the_rows(self) -> None:
        """Only the bus's syringes remain."""
        response = self.get(self.worker, **FEBRUARY, location=[str(self.bus.pk)])
        names = [(row.item.name, row.location) for row in response.context["report"].rows]
        self.assertEqual(names, [("Syringe 2 ml", self.bus)])
        response = self.get(self.worker, **FEBRUARY, category="naloxone")
        names = [(row.item.name, row.location) for row in response.context["report"].rows]
        self.assertEqual(names, [("Naloxone 0.4 mg/ml ampoule", self.store)])

    def test_an_me_officer_and_a_manager_may_read_it(self) -> None:
        for user in (self.officer, self.manager):
            self.assertEqual(self.get(user, **FEBRUARY).status_code, 200)

    def test_a_courier_is_refused(self) -> None:
        """Couriers carry stock but do not read the organisation's figures."""
        self.assertEqual(self.get(self.courier, **FEBRUARY).status_code, 403)

    def test_an_outsider_sees_nothing_of_the_organisation(self) -> None:
        """Org B's report is empty: no place or item of org A shows."""
        response = self.get(self.outsider, **FEBRUARY)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["report"].rows, [])
        self.assertNotContains(response, "Sumy room")
        self.assertNotContains(response, "Bus")
        self.assertContains(response, "No stock and no movements in this period.")

    def test_an_outsider_cannot_name_a_location_of_another_organisation(self) -> None:
        response = self.get(self.outsider, **FEBRUARY, location=[str(self.store.pk)])
        self.assertEqual(response.status_code, 400)
        self.assertContains(
            response, f"Select a valid choice. {self.store.pk} is not one of", status_code=400
        )
        self.assertNotContains(response, "Sumy room", status_code=400)

    def test_takes_the_same_queries_however_long_the_ledger(self) -> None:
        """A year of daily dispensing at the bus adds no query."""
        year = {"period": "this_year"}
        self.client.force_login(self.worker)
        with self.assertNumQueries(PAGE_QUERIES):
            self.client.get(self.url, year)
        receive_stock(
            location=self.bus,
            item=self.condom,
            quantity=5000,
            worker=self.manager,
            occurred_on=datetime.date(2025, 6, 1),
        )
        for offset in range(270):
            dispense_stock(
                location=self.bus,
                lines=[(self.condom, 2)],
                worker=self.manager,
                occurred_on=datetime.date(2025, 6, 2) + datetime.timedelta(days=offset),
            )
        with self.assertNumQueries(PAGE_QUERIES):
            response = self.client.get(self.url, year)
        self.assertContains(response, "<td>Bus</td>", count=2, html=True)


class StockReportBadInputTests(StockReportViewTestCase):
    def assert_refused(self, message: str, **params: str) -> None:
        response = self.get(self.worker, **params)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, message, status_code=400)
        self.assertNotIn("report", response.context)

    def test_a_period_that_ends_before_it_starts(self) -> None:
        self.assert_refused(
            "The period must not end before it starts.",
            period="custom",
            start="2026-02-10",
            end="2026-02-01",
        )

    def test_a_period_longer_than_five_years(self) -> None:
        self.assert_refused(
            "A report covers at most 5 years.",
            period="custom",
            start="2021-03-01",
            end="2026-03-01",
        )

    def test_a_period_starting_after_today(self) -> None:
        self.assert_refused(
            "The period cannot start after today.", period="custom", start="2026-03-03"
        )

    def test_a_custom_period_without_a_first_day(self) -> None:
        self.assert_refused(
            "Choose the first day of the period.", period="custom", end="2026-02-01"
        )

    def test_an_unknown_format(self) -> None:
        self.assert_refused("Unknown format: choose CSV or XLSX.", format="pdf")

    def test_an_unknown_preset_or_category(self) -> None:
        self.assert_refused("Select a valid choice.", period="decade")
        self.assert_refused("Select a valid choice.", category="cocaine")


class StockReportDownloadTests(StockReportViewTestCase):
    def screen_rows(self) -> list[list[str]]:
        response = self.get(self.worker, **FEBRUARY)
        return [
            ["" if value is None else str(value) for value in values]
            for values in response.context["report"].table()
        ]

    def test_csv_holds_the_title_the_headers_and_the_rows_on_screen(self) -> None:
        response = self.get(self.worker, **FEBRUARY, format="csv")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="stock-report-2026-02-01-2026-02-28.csv"',
        )
        text = response.content.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        self.assertEqual(rows[0], [TITLE])
        self.assertEqual(rows[1][:4], ["Item", "Category", "Location", "Opening balance"])
        self.assertIn("Adjusted: Stocktake correction", rows[1])
        self.assertIn("Expiring by 2026-04-29", rows[1])
        self.assertEqual(rows[1][-1], "Days of stock")
        self.assertEqual(rows[2:], self.screen_rows())
        total = next(row for row in rows[2:] if row[2] == "All locations")
        self.assertEqual(total[:4], ["Syringe 2 ml", "Syringe", "All locations", "500"])

    def test_xlsx_holds_the_same_rows_as_numbers(self) -> None:
        response = self.get(self.worker, **FEBRUARY, format="xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertIn("stock-report-2026-02-01-2026-02-28.xlsx", response["Content-Disposition"])
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[0][0], TITLE)
        self.assertEqual(rows[1][:3], ["Item", "Category", "Location"])
        store = next(row for row in rows if row[0] == "Syringe 2 ml" and row[2] == "Sumy room")
        self.assertEqual(store[3:5], [500, 30])
        total = next(row for row in rows if row[2] == "All locations")
        self.assertIsNone(total[rows[1].index("Stock-out days")])
        as_text = [["" if value is None else str(value) for value in row] for row in rows[2:]]
        self.assertEqual(as_text, self.screen_rows())

    def test_a_name_that_looks_like_a_formula_stays_text(self) -> None:
        """A name typed as "=1+2" is not run by the spreadsheet."""
        item = Item.objects.create(org=self.org, category=self.condom.category, name="=1+2")
        receive_stock(
            location=self.store,
            item=item,
            quantity=3,
            worker=self.manager,
            occurred_on=datetime.date(2026, 2, 2),
        )
        rows = list(csv.reader(io.StringIO(self.get(self.worker, **FEBRUARY, format="csv").text)))
        self.assertIn("'=1+2", [row[0] for row in rows])
        sheet = load_workbook(io.BytesIO(self.get(self.worker, **FEBRUARY, format="xlsx").content))
        cells = [row[0] for row in sheet.active.iter_rows(min_row=3)]  # type: ignore[union-attr]  # one sheet
        cell = next(cell for cell in cells if cell.value == "=1+2")
        self.assertEqual(cell.data_type, "s")

    def test_headers_and_names_follow_the_readers_language(self) -> None:
        """In Ukrainian the columns and the shipped item names are Ukrainian."""
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "uk"
        response = self.get(self.worker, **FEBRUARY, format="csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(rows[1][:2], ["Позиція", "Категорія"])
        self.assertNotIn("Syringe 2 ml", [row[0] for row in rows])

    def test_an_outsider_downloads_an_empty_report(self) -> None:
        response = self.get(self.outsider, **FEBRUARY, format="csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(rows[0], ["Org-B: stock report, 2026-02-01 – 2026-02-28"])
        self.assertEqual(len(rows), 2)

    def test_a_courier_cannot_download(self) -> None:
        self.assertEqual(self.get(self.courier, **FEBRUARY, format="xlsx").status_code, 403)
