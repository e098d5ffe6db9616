"""The indicator report page, its CSV and XLSX files and its print view."""

import csv
import datetime
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from outpost.clients.actions import register_client
from outpost.clients.models import Client
from outpost.clients.uic import build_parts
from outpost.contacts.actions import Handout, record_contact
from outpost.core.choices import Channel, Sex
from outpost.core.models import AuditEvent
from outpost.core.periods import Period
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_site, make_staff
from outpost.orgs.models import Organisation, Site, User
from outpost.reports import definitions as d
from outpost.reports.indicators import compute_report, scope_of
from outpost.reports.report_views import Group

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

Params = Mapping[str, str | int | list[str]]

Q1: Params = {"period": "quarter", "year": "2026", "quarter": "1"}
Q1_PERIOD = Period(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
# Sign-in and membership (6), the sites (1), the donor codes (1), the report
# (8) and the chart's report by month (8 + 2 for the cells of the contacts
# and of the tests and referrals: outpost.reports.indicators).
PAGE_QUERIES = 6 + 1 + 1 + 8 + 10
# Split by sex, age band and channel: the report takes 3 more (cells of the
# contacts, of the tests and referrals, and of continuity), the chart's
# report by sex 1 more than by month (continuity's cells).
SPLIT_PAGE_QUERIES = PAGE_QUERIES + 3 + 1
# Without the chart, with the audit entry (3).
EXPORT_QUERIES = 6 + 1 + 1 + 8 + 3
SPLIT = {**Q1, "by": ["sex", "age_band", "channel"]}


def make_person(org: Organisation, worker: User, mother: str, sex: str, born: int) -> Client:
    parts = build_parts(mother, "Petro", sex, datetime.date(born, 5, 20))
    client, _ = register_client(org=org, parts=parts, groups=["injects_opioids"], worker=worker)
    return client


def visit(
    site: Site,
    worker: User,
    client: Client | None,
    day: datetime.date,
    handout: Handout | None = None,
    *,
    returned: int = 0,
) -> None:
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(11)))
    record_contact(
        site=site,
        worker=worker,
        channel=site.default_channel,
        client=client,
        handout=handout or Handout(),
        syringes_returned=returned,
        occurred_at=moment,
    )


def totals(groups: list[Group]) -> dict[str, str]:
    return {line.measure.id: line.total for group in groups for line in group.lines}


class ReportViewTestCase(BaseTestCase):
    """Q1 2026: five contacts of three clients and one anonymous person, at two sites.

    Anna (male, 40) twice in January at the room, with 4 syringes each time
    and 4 used ones back the second time; Bohdan (male, 21) once in February
    on the bus; Daria (female, 35) once in March at the room; one anonymous
    contact in January. Organisation B has one contact of its own.
    """

    me_officer: User
    bus: Site
    bohdan: Client
    daria: Client
    other_me_officer: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.me_officer = make_staff(cls.org, "me-officer", Role.ME_OFFICER, cls.site)
        cls.bus = make_site(
            cls.org, "Bus", kind=Site.Kind.MOBILE_UNIT, default_channel=Channel.MOBILE_UNIT
        )
        cls.bohdan = make_person(cls.org, cls.worker, "Bohdana", Sex.MALE, 2004)
        cls.daria = make_person(cls.org, cls.worker, "Daryna", Sex.FEMALE, 1990)
        syringes = Handout(items=[(cls.syringe, 4)])
        visit(cls.site, cls.worker, cls.anna, datetime.date(2026, 1, 12), syringes)
        visit(cls.site, cls.worker, cls.anna, datetime.date(2026, 1, 20), syringes, returned=4)
        visit(cls.site, cls.worker, None, datetime.date(2026, 1, 21))
        visit(cls.bus, cls.worker, cls.bohdan, datetime.date(2026, 2, 3))
        visit(cls.site, cls.worker, cls.daria, datetime.date(2026, 3, 30))
        cls.other_me_officer = make_staff(
            cls.other_org, "me-officer-b", Role.ME_OFFICER, cls.other_site
        )
        stranger = make_person(cls.other_org, cls.outsider, "Halyna", Sex.FEMALE, 1980)
        visit(cls.other_site, cls.outsider, stranger, datetime.date(2026, 2, 10))

    def get(self, user: User, params: Params, name: str = "report") -> "TestResponse":
        self.client.force_login(user)
        return self.client.get(reverse(f"reports:{name}"), params)

    def download(self, user: User, fmt: str, params: Params) -> "TestResponse":
        self.client.force_login(user)
        return self.client.get(reverse("reports:export", kwargs={"fmt": fmt}), params)


class ReportPageTests(ReportViewTestCase):
    def test_the_m_and_e_officer_sees_the_quarters_totals(self) -> None:
        response = self.get(self.me_officer, Q1)
        self.assertEqual(response.status_code, 200)
        shown = totals(response.context["groups"])
        self.assertEqual(shown["contacts"], "5")
        self.assertEqual(shown["clients_reached"], "3")
        self.assertEqual(shown["syringes"], "8")
        self.assertEqual(shown["syringes_returned.rate"], "50.0%")
        self.assertContains(response, 'data-testid="total-contacts">5</td>', html=False)

    def test_the_manager_may_open_the_report(self) -> None:
        response = self.get(self.manager, Q1)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(totals(response.context["groups"])["contacts"], "5")

    def test_a_social_worker_is_refused(self) -> None:
        self.assertEqual(self.get(self.worker, Q1).status_code, 403)

    def test_the_outsider_is_refused(self) -> None:
        self.assertEqual(self.get(self.outsider, Q1).status_code, 403)

    def test_another_organisations_officer_sees_only_their_own_figures(self) -> None:
        response = self.get(self.other_me_officer, Q1)
        self.assertEqual(totals(response.context["groups"])["contacts"], "1")

    def test_another_organisations_site_is_refused_not_reported(self) -> None:
        response = self.get(self.me_officer, {**Q1, "site": self.other_site.pk})
        self.assertContains(response, "is not one of the available choices", status_code=422)
        self.assertNotIn("groups", response.context)

    def test_without_a_query_it_shows_the_last_complete_local_month(self) -> None:
        # 01:30 in Kyiv on 1 April is still 31 March in UTC.
        with time_machine.travel(datetime.datetime(2026, 3, 31, 22, 30, tzinfo=datetime.UTC)):
            response = self.get(self.me_officer, {})
        choice = response.context["choice"]
        self.assertEqual(
            choice.period, Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
        )
        self.assertEqual(totals(response.context["groups"])["contacts"], "1")

    def test_the_figures_shown_are_those_compute_report_gives(self) -> None:
        response = self.get(self.me_officer, {**Q1, "by": ["sex", "age_band"]})
        report = compute_report(scope_of([self.org.pk]), Q1_PERIOD, (d.SEX, d.AGE_BAND))
        lines = {
            line.measure.id: line for group in response.context["groups"] for line in group.lines
        }
        counted = [figure for figure in report.figures if figure.measure.kind != d.RATIO]
        for figure in counted:
            line = lines[figure.measure.id]
            with self.subTest(measure=figure.measure.id):
                self.assertEqual(line.total, str(figure.total))
                if figure.split:
                    expected = [str(figure.cells[key]) for key in report.keys]
                    self.assertEqual([value for _, value in line.cells], expected)

    def test_the_cells_are_headed_by_their_values_in_words(self) -> None:
        response = self.get(self.me_officer, {**Q1, "by": ["sex", "age_band"]})
        cells = totals_cells(response.context["groups"], "clients_reached")
        self.assertEqual(
            cells,
            [
                ("Not recorded · Not recorded", "0"),
                ("Male · 25+", "1"),
                ("Male · <25", "1"),
                ("Female · 25+", "1"),
            ],
        )
        self.assertContains(
            response, '<span class="key">Female</span><span class="key">25+</span>'
        )

    def test_many_cells_are_listed_one_per_row(self) -> None:
        visit(self.site, self.worker, self.anna, datetime.date(2026, 2, 4))
        visit(self.site, self.worker, self.anna, datetime.date(2026, 3, 4))
        visit(self.bus, self.worker, self.daria, datetime.date(2026, 3, 5))
        response = self.get(self.me_officer, {**Q1, "by": ["sex", "site", "month"]})
        self.assertIs(response.context["long"], True)
        self.assertEqual(len(response.context["columns"]), 7)
        self.assertContains(response, '<th scope="row">Female · Bus · 2026-03</th>', html=True)

    def test_a_site_ticked_limits_the_report_to_it(self) -> None:
        response = self.get(self.me_officer, {**Q1, "site": self.bus.pk})
        self.assertEqual(totals(response.context["groups"])["contacts"], "1")
        self.assertContains(response, "<dd>Bus</dd>", html=True)

    def test_a_figure_that_cannot_take_the_split_says_so(self) -> None:
        response = self.get(self.me_officer, {**Q1, "by": "channel"})
        self.assertContains(response, "Not split by Channel.")

    def test_small_numbers_are_hidden_for_use_outside(self) -> None:
        response = self.get(self.me_officer, {**Q1, "outside": "on"})
        shown = totals(response.context["groups"])
        self.assertEqual(shown["contacts"], "<10")
        self.assertEqual(shown["overdoses"], "0")
        self.assertEqual(shown["syringes_returned.rate"], "—")

    def test_the_donor_codes_and_definitions_stand_beside_the_figures(self) -> None:
        from outpost.reports.models import IndicatorCode

        IndicatorCode.objects.create(org=self.org, indicator="clients_reached", code="KP-1c")
        response = self.get(self.me_officer, Q1)
        self.assertContains(response, "KP-1c")
        self.assertContains(response, "Distinct clients with at least one contact in the period.")


class ReportFilterTests(ReportViewTestCase):
    def test_bad_choices_come_back_with_a_message(self) -> None:
        refused: list[tuple[Params, str]] = [
            ({"period": "month", "month": "2026-13"}, "Enter a month as year and month"),
            ({"period": "month", "month": "March"}, "Enter a month as year and month"),
            ({"period": "month", "month": ""}, "Choose a month."),
            ({"period": "quarter", "year": "2026", "quarter": "5"}, "Select a valid choice."),
            ({"period": "quarter", "quarter": "1"}, "Choose a year."),
            ({"period": "week"}, "Select a valid choice."),
            (
                {"period": "range", "first": "2026-03-01", "last": "2026-02-01"},
                "The period ends before it starts.",
            ),
            (
                {"period": "range", "first": "2025-01-01", "last": "2026-01-02"},
                "Choose a period of at most 366 days.",
            ),
            ({**Q1, "by": "shoe_size"}, "Select a valid choice."),
            ({"period": "year", "year": "2099"}, "This period has not started yet."),
            (
                {**Q1, "by": ["sex", "age_band", "channel", "site"]},
                "Choose at most 3 splits, so the table stays readable.",
            ),
        ]
        for params, message in refused:
            with self.subTest(params=params):
                response = self.get(self.me_officer, params)
                self.assertContains(response, message, status_code=422)

    def test_boxes_of_another_kind_of_period_are_ignored(self) -> None:
        params: Params = {
            "period": "month",
            "month": "2026-02",
            "year": "1999",
            "quarter": "9",
            "first": "yesterday",
        }
        response = self.get(self.me_officer, params)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["choice"].name, "2026-02")
        self.assertEqual(totals(response.context["groups"])["contacts"], "1")

    def test_a_leap_year_and_a_range_of_366_days_are_accepted(self) -> None:
        for params in (
            {"period": "year", "year": "2024"},
            {"period": "range", "first": "2024-01-01", "last": "2024-12-31"},
        ):
            with self.subTest(params=params):
                self.assertEqual(self.get(self.me_officer, params).status_code, 200)

    def test_the_splits_follow_a_fixed_order_whatever_the_query_says(self) -> None:
        response = self.get(self.me_officer, {**Q1, "by": ["channel", "sex"]})
        self.assertEqual(response.context["choice"].by, ("sex", "channel"))
        self.assertIn("by=sex&by=channel", response.context["query"])

    def test_the_download_buttons_send_the_form_as_it_stands(self) -> None:
        """Ticking a box and downloading without Show must not export the old report."""
        response = self.get(self.me_officer, {**Q1, "by": "sex"})
        self.assertContains(response, 'formaction="/reports/indicators/export.xlsx"')
        self.assertContains(response, 'formaction="/reports/indicators/print/"')

    def test_no_chart_is_drawn_for_use_outside(self) -> None:
        response = self.get(self.me_officer, {**Q1, "by": "sex", "outside": "on"})
        self.assertNotContains(response, "data-chart=")
        self.assertContains(response, "No chart for use outside the organisation")


class ReportExportTests(ReportViewTestCase):
    def test_the_csv_holds_the_table_with_a_byte_order_mark(self) -> None:
        response = self.download(self.me_officer, "csv", {**Q1, "by": "sex"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="outpost-indicators-2026-Q1.csv"',
        )
        self.assertTrue(response.content.startswith(b"\xef\xbb\xbf"))
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(lines[0][:5], ["Indicator", "Measure", "Donor codes", "Sex", "Value"])
        values = {(line[0], line[3]): line[4] for line in lines[1:]}
        self.assertEqual(values[("contacts", "All")], "5")
        self.assertEqual(values[("clients_reached", "Male")], "2")
        self.assertEqual(values[("clients_reached", "Female")], "1")

    def test_the_csv_for_use_outside_hides_small_numbers(self) -> None:
        response = self.download(self.me_officer, "csv", {**Q1, "outside": "on"})
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        values = {line[0]: line[3] for line in lines[1:]}
        self.assertEqual(values["contacts"], "<10")
        self.assertEqual(values["overdoses"], "0")
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="outpost-indicators-2026-Q1-outside.csv"',
        )
        verbs = AuditEvent.objects.filter(verb__startswith="report.").values_list(
            "verb", flat=True
        )
        self.assertEqual(list(verbs), ["report.exported_outside"])

    def test_a_donor_code_typed_as_a_formula_stays_text_in_the_csv(self) -> None:
        from outpost.reports.models import IndicatorCode

        IndicatorCode.objects.create(org=self.org, indicator="contacts", code="=HYPERLINK(1)")
        response = self.download(self.me_officer, "csv", Q1)
        self.assertIn(b"'=HYPERLINK(1)", response.content)

    def test_the_xlsx_has_a_header_then_the_table_with_numbers_as_numbers(self) -> None:
        response = self.download(
            self.me_officer, "xlsx", {**Q1, "by": "sex", "site": self.site.pk}
        )
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="outpost-indicators-2026-Q1.xlsx"',
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[0][0], "Indicators: Org-A, 2026-Q1")
        about = {row[0]: row[1] for row in rows[1:6]}
        self.assertEqual(about["Organisation"], "Org-A")
        self.assertEqual(about["Period"], "2026-Q1 (2026-01-01 – 2026-03-31)")
        self.assertEqual(about["Sites"], "Sumy room")
        self.assertEqual(about["Split by"], "Sex")
        self.assertTrue(str(about["Small numbers"]).startswith("Shown"))
        header = rows[7]
        self.assertEqual(header[:5], ["Indicator", "Measure", "Donor codes", "Sex", "Value"])
        values = {(row[0], row[3]): row[4] for row in rows[8:]}
        self.assertEqual(values[("contacts", "All")], 4)
        self.assertEqual(values[("clients_reached", "Female")], 1)
        self.assertEqual(values[("syringes_returned.rate", "All")], 0.5)
        self.assertIsNone(values[("syringes_per_pwid", "All")])

    def test_the_xlsx_for_use_outside_says_so_and_hides_small_numbers(self) -> None:
        response = self.download(self.me_officer, "xlsx", {**Q1, "outside": "on"})
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[5][:2], ["Small numbers", "Hidden: counts from 1 to 9 show as <10"])
        values = {row[0]: row[3] for row in rows[8:]}
        self.assertEqual(values["contacts"], "<10")
        self.assertEqual(values["overdoses"], 0)

    def test_each_download_is_audited(self) -> None:
        for fmt in ("csv", "xlsx"):
            self.download(self.me_officer, fmt, Q1)
        entries = AuditEvent.objects.filter(verb="report.exported")
        self.assertEqual(entries.count(), 2)
        entry = entries.first()
        assert entry is not None
        self.assertEqual(
            (entry.actor_id, entry.org_id, entry.target_type, entry.target_id),
            (self.me_officer.pk, self.org.pk, "orgs.organisation", self.org.pk),
        )

    def test_bad_choices_download_nothing_and_audit_nothing(self) -> None:
        response = self.download(self.me_officer, "xlsx", {**Q1, "site": self.other_site.pk})
        self.assertContains(response, "is not one of the available choices", status_code=422)
        self.assertFalse(AuditEvent.objects.filter(verb="report.exported").exists())

    def test_an_unknown_format_is_not_found(self) -> None:
        self.assertEqual(self.download(self.me_officer, "pdf", Q1).status_code, 404)

    def test_a_social_worker_and_the_outsider_cannot_download(self) -> None:
        for user in (self.worker, self.outsider):
            with self.subTest(user=user.username):
                self.assertEqual(self.download(user, "csv", Q1).status_code, 403)

    def test_another_organisations_officer_downloads_only_their_own_figures(self) -> None:
        response = self.download(self.other_me_officer, "csv", Q1)
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual({line[0]: line[3] for line in lines[1:]}["contacts"], "1")


class ReportPrintTests(ReportViewTestCase):
    def test_the_print_view_has_the_report_and_who_printed_it(self) -> None:
        with time_machine.travel(datetime.datetime(2026, 4, 2, 7, 5, tzinfo=datetime.UTC)):
            response = self.get(self.me_officer, {**Q1, "by": "sex"}, name="print")
        self.assertContains(response, 'data-testid="total-contacts">5</td>', html=False)
        self.assertContains(response, "Printed by me-officer on 2026-04-02 10:05.")
        self.assertNotContains(response, 'class="bar"')
        self.assertNotContains(response, "report-form")

    def test_a_social_worker_cannot_print(self) -> None:
        self.assertEqual(self.get(self.worker, Q1, name="print").status_code, 403)


class ReportQueryCountTests(ReportViewTestCase):
    """A fixed number of queries, whatever the splits or the data."""

    def count(self, name: str, params: Params, queries: int) -> None:
        self.client.force_login(self.me_officer)
        url = reverse(name, kwargs={"fmt": "xlsx"} if name == "reports:export" else None)
        with self.assertNumQueries(queries):
            response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200)

    def test_the_page_takes_a_number_of_queries_set_by_its_splits_alone(self) -> None:
        self.count("reports:report", Q1, PAGE_QUERIES)
        self.count("reports:report", SPLIT, SPLIT_PAGE_QUERIES)

    def test_the_exports_and_print_view_take_a_fixed_number_of_queries(self) -> None:
        self.count("reports:export", Q1, EXPORT_QUERIES)
        self.count("reports:export", SPLIT, EXPORT_QUERIES + 3)
        self.count("reports:print", Q1, PAGE_QUERIES)


def totals_cells(groups: list[Group], measure_id: str) -> list[tuple[str, str]]:
    return next(
        line.cells for group in groups for line in group.lines if line.measure.id == measure_id
    )
