"""The reports dashboard: twelve months of trends, headline figures, cascade, stock.

The clock stands at noon of the shared test day, 2 March 2026, so the
twelve months run from April 2025 to March 2026 (so far). The figures are
kept in the cache for minutes: a test that changes the data after a first
look moves the clock past that (``after_refresh``).
"""

import dataclasses
import datetime
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from unittest import mock

import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import SimpleTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.core.choices import Channel
from outpost.core.periods import Period
from outpost.core.roles import ROLE_PERMS, Perm, Role
from outpost.core.tests.base import (
    TODAY,
    BaseTestCase,
    make_client,
    make_org,
    make_site,
    make_staff,
)
from outpost.inventory.actions import dispense_stock, store_of
from outpost.orgs.models import Site, User
from outpost.reports import dashboard
from outpost.reports.charts import Chart, Series
from outpost.reports.dashboard import (
    FRESH_MINUTES,
    Asked,
    Counts,
    Figures,
    axis_label,
    cached_figures,
    compute_figures,
    months_ending,
)
from outpost.reports.indicators import Report, compute_report, scope_of
from outpost.reports.tests.factories import item, make_person, rapid_test, stock_everything, visit
from outpost.testing.models import Result

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

NOON = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)
FIRST_MONTH = datetime.date(2025, 4, 1)
TWELVE_MONTHS = Period(FIRST_MONTH, TODAY)
MONTH_KEYS = [f"2025-{month:02d}" for month in range(4, 13)] + [
    f"2026-{month:02d}" for month in range(1, 4)
]
URL = reverse("reports:dashboard")
CHART_DATA = re.compile(r'<script id="([\w-]+)-data" type="application/json">(.*?)</script>', re.S)
# Session, user, device, staff session, membership (twice), the sites: all
# a page with its figures in the cache takes.
PAGE_QUERIES = 7


def charts_of(response: "TestResponse") -> dict[str, dict[str, object]]:
    """Chart id → the JSON the page hands to charts.js."""
    html = response.content.decode()
    return {chart_id: json.loads(text) for chart_id, text in CHART_DATA.findall(html)}


def series(chart: dict[str, object], label: str) -> list[object]:
    datasets = chart["datasets"]
    assert isinstance(datasets, list)
    return next(dataset["data"] for dataset in datasets if dataset["label"] == label)


def cells(report: Report, measure_id: str, *rest: str) -> list[object]:
    """The measure's value per month, zero where the month has no cell."""
    figure = next(figure for figure in report.figures if figure.measure.id == measure_id)
    return [figure.cells.get((month, *rest), 0) for month in MONTH_KEYS]


@time_machine.travel(NOON, tick=False)
class DashboardTests(BaseTestCase):
    officer: User
    courier: User
    manager_b: User
    bus_stop: Site

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.courier = make_staff(cls.org, "courier", Role.COURIER, cls.site)
        cls.manager_b = make_staff(cls.other_org, "manager-b", Role.MANAGER, cls.other_site)
        cls.bus_stop = make_site(cls.org, "Bus stop")
        for site in (cls.site, cls.bus_stop, cls.other_site):
            stock_everything(site, cls.manager)
        syringe, condom = item(cls.org, "Syringe 2 ml"), item(cls.org, "Condom")
        naloxone = item(cls.org, "Naloxone 0.4 mg/ml ampoule")
        bohdan = make_person(
            cls.org, cls.worker, "Bohdan", sex="1", born=datetime.date(1990, 5, 5)
        )
        window, outreach = Channel.WINDOW, Channel.OUTREACH
        # Outside the twelve months: the last day of March 2025.
        visit(cls.site, cls.worker, cls.anna, datetime.date(2025, 3, 31), window)
        visit(cls.site, cls.worker, bohdan, FIRST_MONTH, window, items=[(condom, 4)])
        visit(
            cls.site,
            cls.worker,
            cls.anna,
            datetime.date(2026, 1, 10),
            window,
            items=[(syringe, 10), (condom, 5)],
            returned=4,
        )
        visit(
            cls.site,
            cls.worker,
            cls.anna,
            datetime.date(2026, 2, 10),
            outreach,
            items=[(syringe, 6)],
        )
        visit(cls.site, cls.worker, cls.anna, datetime.date(2026, 2, 12), window, returned=6)
        visit(
            cls.site, cls.worker, None, datetime.date(2026, 2, 11), window, items=[(naloxone, 2)]
        )
        visit(
            cls.bus_stop,
            cls.worker,
            bohdan,
            datetime.date(2026, 3, 1),
            window,
            items=[(syringe, 3)],
        )
        # Organisation B's own client, never on A's dashboard.
        other = make_client(cls.other_org, cls.outsider)
        visit(cls.other_site, cls.outsider, other, datetime.date(2026, 2, 3), window)

    def get(self, user: User, **query: str) -> "TestResponse":
        self.client.force_login(user)
        return self.client.get(URL, query)

    @contextmanager
    def after_refresh(self) -> Iterator[None]:
        """The clock just past the time the kept figures are fresh for."""
        with time_machine.travel(NOON + datetime.timedelta(minutes=FRESH_MINUTES, seconds=1)):
            yield

    # Who may see it -----------------------------------------------------

    def test_m_and_e_officer_and_manager_see_the_dashboard(self) -> None:
        for user in (self.officer, self.manager):
            with self.subTest(user=user.username):
                response = self.get(user)
                self.assertEqual(response.status_code, 200)
                self.assertTemplateUsed(response, "reports/dashboard.html")

    def test_social_worker_courier_and_outsider_are_refused(self) -> None:
        for user in (self.worker, self.courier, self.outsider):
            with self.subTest(user=user.username):
                self.assertEqual(self.get(user).status_code, 403)

    def test_a_site_of_another_organisation_answers_404(self) -> None:
        self.assertEqual(self.get(self.manager, site=str(self.other_site.pk)).status_code, 404)
        self.assertEqual(self.get(self.manager, site="nonsense").status_code, 404)

    def test_another_organisations_manager_sees_none_of_our_contacts(self) -> None:
        # Our figures are in the cache first, for the same day, role and scope.
        self.assertEqual(
            sum(series(charts_of(self.get(self.manager))["contacts-by-channel"], "Window")), 5
        )
        response = self.get(self.manager_b)
        contacts = charts_of(response)["contacts-by-channel"]
        self.assertEqual(series(contacts, "Window"), [0] * 10 + [1, 0])
        clients = charts_of(response)["clients-reached-by-channel"]
        self.assertEqual(sum(series(clients, "All channels")), 1)

    # The numbers ------------------------------------------------------------

    def test_monthly_numbers_by_channel_equal_the_reports(self) -> None:
        charts = charts_of(self.get(self.officer))
        report = compute_report(scope_of([self.org.pk]), TWELVE_MONTHS, by=("month", "channel"))
        for chart_id, measure_id in (
            ("contacts-by-channel", "contacts"),
            ("clients-reached-by-channel", "clients_reached"),
            ("clients-new-by-channel", "clients_new"),
        ):
            for channel in (Channel.WINDOW, Channel.OUTREACH):
                with self.subTest(chart=chart_id, channel=channel):
                    self.assertEqual(
                        series(charts[chart_id], str(channel.label)),
                        cells(report, measure_id, channel),
                    )
        self.assertEqual(
            series(charts["contacts-by-channel"], "Window"), [1] + [0] * 8 + [1, 2, 1]
        )

    def test_all_channels_and_items_equal_the_report_by_month(self) -> None:
        charts = charts_of(self.get(self.officer))
        report = compute_report(scope_of([self.org.pk]), TWELVE_MONTHS, by=("month",))
        # Anna comes in February through two channels: once in all channels.
        self.assertEqual(
            series(charts["clients-reached-by-channel"], "All channels"),
            cells(report, "clients_reached"),
        )
        self.assertEqual(cells(report, "clients_reached")[-2], 1)
        for measure_id in ("syringes", "needles", "naloxone", "condoms"):
            with self.subTest(measure=measure_id):
                chart = charts[f"items-{measure_id}"]
                datasets = chart["datasets"]
                assert isinstance(datasets, list)
                self.assertEqual(datasets[0]["data"], cells(report, measure_id))
        self.assertEqual(series(charts["items-syringes"], "Syringes distributed")[-3:], [10, 6, 3])
        rates = series(charts["return-rate"], "Return rate")
        self.assertEqual(rates[-3:], [0.4, 1.0, 0.0])

    def test_a_client_is_new_only_in_the_month_of_their_first_contact(self) -> None:
        chart = charts_of(self.get(self.officer))["clients-new-by-channel"]
        # Bohdan first came in April 2025; Anna the day before the twelve months.
        self.assertEqual(series(chart, "All channels"), [1] + [0] * 11)

    def test_a_site_narrows_every_figure_to_it(self) -> None:
        self.get(self.officer)  # the whole organisation's figures in the cache
        charts = charts_of(self.get(self.officer, site=str(self.bus_stop.pk)))
        self.assertEqual(series(charts["contacts-by-channel"], "Window"), [0] * 11 + [1])

    def test_the_current_month_is_marked_so_far(self) -> None:
        response = self.get(self.officer)
        chart = charts_of(response)["contacts-by-channel"]
        self.assertEqual(chart["incomplete"], [11])
        self.assertEqual(chart["longLabels"][-1], "March 2026 (so far)")  # type: ignore[index]  # a list
        self.assertEqual(chart["labels"][0], "Apr\n2025")  # type: ignore[index]  # a list
        self.assertIn("so far", chart["labels"][-1])  # type: ignore[index]  # a list
        self.assertContains(response, "March 2026 (so far)")

    def test_headline_figures_give_last_month_this_month_and_continuity(self) -> None:
        response = self.get(self.officer)
        board = response.context["board"]
        contacts, reached, *_, rate = board.headlines
        self.assertEqual((contacts.last_month, contacts.so_far), ("3", "1"))
        self.assertEqual((reached.last_month, reached.so_far), ("1", "1"))
        self.assertEqual((rate.last_month, rate.last_month_basis), ("100.0%", "6 of 6"))
        # Anna, seen in January, came back in February; Bohdan was not seen
        # in the 90 days before February.
        self.assertEqual(board.continuity.last_month, "100.0%")
        self.assertEqual(board.continuity.last_month_basis, "1 of 1")
        self.assertContains(response, "Reach kept")

    # The cascade and the stock -------------------------------------------------

    def test_the_cascade_appears_only_once_a_client_is_tested(self) -> None:
        self.assertNotContains(self.get(self.officer), 'data-testid="cascade"')
        rapid_test(
            self.site,
            self.worker,
            self.anna,
            datetime.date(2026, 1, 10),
            result=Result.NON_REACTIVE,
        )
        with self.after_refresh():
            response = self.get(self.officer)
        self.assertContains(response, 'data-testid="cascade"')
        chart = charts_of(response)["hiv-cascade"]
        datasets = chart["datasets"]
        assert isinstance(datasets, list)
        self.assertEqual(datasets[0]["data"], [1, 0, 0, 0, 0, 0])

    def test_the_cascade_is_hidden_from_a_role_without_the_cascade(self) -> None:
        rapid_test(
            self.site,
            self.worker,
            self.anna,
            datetime.date(2026, 1, 10),
            result=Result.NON_REACTIVE,
        )
        # The manager's figures, with the cascade, are in the cache first.
        self.assertContains(self.get(self.manager), 'data-testid="cascade"')
        without = {Role.ME_OFFICER: ROLE_PERMS[Role.ME_OFFICER] - {Perm.VIEW_CASCADE}}
        with mock.patch.dict(ROLE_PERMS, without):
            self.assertNotContains(self.get(self.officer), 'data-testid="cascade"')

    def test_stock_at_risk_appears_only_when_an_item_runs_out(self) -> None:
        self.assertNotContains(self.get(self.officer), 'data-testid="stock"')
        self.run_down_naloxone()
        with self.after_refresh():
            response = self.get(self.officer)
        self.assertContains(response, 'data-testid="stock"')
        self.assertContains(response, reverse("inventory:location", args=[store_of(self.site).pk]))

    def test_stock_at_risk_is_hidden_from_a_role_without_the_stock(self) -> None:
        self.run_down_naloxone()
        self.assertContains(self.get(self.manager), 'data-testid="stock"')
        without = {Role.ME_OFFICER: ROLE_PERMS[Role.ME_OFFICER] - {Perm.VIEW_STOCK}}
        with mock.patch.dict(ROLE_PERMS, without):
            self.assertNotContains(self.get(self.officer), 'data-testid="stock"')

    def test_stock_at_risk_of_another_site_is_left_out_when_a_site_is_chosen(self) -> None:
        self.run_down_naloxone()
        self.assertContains(self.get(self.officer), 'data-testid="stock"')
        response = self.get(self.officer, site=str(self.bus_stop.pk))
        self.assertNotContains(response, 'data-testid="stock"')

    def run_down_naloxone(self) -> None:
        """Hand out all but ten of the store's naloxone today: an order is due."""
        naloxone = item(self.org, "Naloxone 0.4 mg/ml ampoule")
        dispense_stock(
            location=store_of(self.site),
            lines=[(naloxone, 490)],
            worker=self.worker,
            occurred_on=TODAY,
        )

    # Links ---------------------------------------------------------------------

    def test_links_follow_the_role(self) -> None:
        manager = self.get(self.manager)
        officer = self.get(self.officer)
        for url in (reverse("reports:report"), reverse("reports:networks")):
            self.assertContains(manager, f'href="{url}"')
            self.assertContains(officer, f'href="{url}"')
        for url in (reverse("reports:settings"), reverse("imports:index")):
            self.assertContains(manager, f'href="{url}"')
            self.assertNotContains(officer, f'href="{url}"')

    # Queries -------------------------------------------------------------------

    def test_the_query_count_is_fixed_with_data_and_without(self) -> None:
        self.client.force_login(self.officer)
        cold = self.queries_of_a_cold_page()
        self.assertEqual(self.queries_of_a_cold_page({"site": str(self.bus_stop.pk)}), cold)
        rapid_test(
            self.site, self.worker, self.anna, datetime.date(2026, 1, 10), result=Result.REACTIVE
        )
        self.run_down_naloxone()
        self.assertEqual(self.queries_of_a_cold_page(), cold)

    def test_a_new_organisation_with_nothing_recorded_takes_as_many_queries(self) -> None:
        self.client.force_login(self.officer)
        cold = self.queries_of_a_cold_page()
        new_org = make_org("org-c")
        make_site(new_org, "First room")
        self.client.force_login(make_staff(new_org, "officer-c", Role.ME_OFFICER))
        with CaptureQueriesContext(connection) as empty:
            response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        # One fewer: with no stock anywhere the forecast has no items to
        # fetch (inventory.forecast skips that query).
        self.assertEqual(len(empty), cold - 1)

    def test_a_page_with_its_figures_kept_takes_only_the_pages_own_queries(self) -> None:
        self.client.force_login(self.officer)
        cold = self.queries_of_a_cold_page()
        self.assertGreater(cold, PAGE_QUERIES + 10)
        with self.assertNumQueries(PAGE_QUERIES):
            self.assertEqual(self.client.get(URL).status_code, 200)

    def queries_of_a_cold_page(self, query: dict[str, str] | None = None) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.client.get(URL, query).status_code, 200)
        return len(queries)

    # The cached figures ------------------------------------------------------------

    def asked(self, **changes: object) -> Asked:
        """What the officer's dashboard of the whole organisation asks for today."""
        fields: dict[str, object] = {
            "org_id": self.org.pk,
            "site_id": None,
            "today": TODAY,
            "with_cascade": True,
            "with_stock": True,
        }
        return Asked(**{**fields, **changes})  # type: ignore[arg-type]  # the fields above

    def test_the_page_shows_the_figures_in_the_cache(self) -> None:
        figures = compute_figures(self.asked())
        contacts = figures.by_month["contacts"]
        doctored = Counts(contacts.total, {**contacts.cells, ("2026-02",): 4242}, contacts.basis)
        by_month = {**figures.by_month, "contacts": doctored}
        cache.set(self.asked().cache_key, dataclasses.replace(figures, by_month=by_month))
        response = self.get(self.officer)
        self.assertEqual(response.context["board"].headlines[0].last_month, "4242")
        self.assertIsInstance(cache.get(self.asked().cache_key), Figures)

    def test_a_new_contact_shows_once_the_figures_are_refreshed(self) -> None:
        self.assertEqual(self.contacts_so_far(), "1")
        visit(self.site, self.worker, self.anna, TODAY, Channel.WINDOW, hour=11)
        self.assertEqual(self.contacts_so_far(), "1")
        with time_machine.travel(NOON + datetime.timedelta(minutes=FRESH_MINUTES - 1)):
            self.assertEqual(self.contacts_so_far(), "1")
        with self.after_refresh():
            self.assertEqual(self.contacts_so_far(), "2")

    def test_a_manager_can_refresh_the_figures_now(self) -> None:
        self.assertEqual(self.contacts_so_far(self.manager), "1")
        self.assertContains(self.get(self.manager), "Refresh now")
        visit(self.site, self.worker, self.anna, TODAY, Channel.WINDOW, hour=11)
        response = self.client.post(URL)
        self.assertRedirects(response, URL, fetch_redirect_response=False)
        self.assertEqual(self.contacts_so_far(self.manager), "2")

    def test_a_refresh_keeps_the_site_chosen(self) -> None:
        self.client.force_login(self.manager)
        query = f"?site={self.bus_stop.pk}"
        response = self.client.post(URL + query)
        self.assertRedirects(response, URL + query, fetch_redirect_response=False)

    def test_an_m_and_e_officer_cannot_refresh_them(self) -> None:
        self.assertEqual(self.contacts_so_far(), "1")
        self.assertNotContains(self.get(self.officer), "Refresh now")
        visit(self.site, self.worker, self.anna, TODAY, Channel.WINDOW, hour=11)
        self.assertEqual(self.client.post(URL).status_code, 302)
        self.assertEqual(self.contacts_so_far(), "1")

    def test_the_kept_figures_are_worded_in_each_readers_language(self) -> None:
        self.assertContains(self.get(self.officer), "February 2026")
        self.officer.language = "uk"
        self.officer.save(update_fields=["language"])
        self.client.force_login(self.officer)
        with self.assertNumQueries(PAGE_QUERIES):
            response = self.client.get(URL)
        self.assertContains(response, "Лютий 2026")
        self.assertNotContains(response, "February 2026")

    def test_each_organisation_site_and_role_has_figures_of_its_own(self) -> None:
        self.get(self.officer)
        self.get(self.manager_b)
        self.get(self.officer, site=str(self.bus_stop.pk))
        without = {Role.ME_OFFICER: ROLE_PERMS[Role.ME_OFFICER] - {Perm.VIEW_STOCK}}
        with mock.patch.dict(ROLE_PERMS, without):
            self.get(self.officer)
        kept = {
            "ours": self.asked(),
            "theirs": self.asked(org_id=self.other_org.pk),
            "bus stop": self.asked(site_id=self.bus_stop.pk),
            "no stock": self.asked(with_stock=False),
        }
        self.assertEqual(len({asked.cache_key for asked in kept.values()}), 4)
        totals = {
            name: cache.get(asked.cache_key).by_month["contacts"].total
            for name, asked in kept.items()
        }
        self.assertEqual(totals, {"ours": 6, "theirs": 1, "bus stop": 1, "no stock": 6})
        self.assertIsNone(cache.get(self.asked(with_stock=False).cache_key).stock)

    def test_the_page_says_when_the_figures_were_computed(self) -> None:
        self.assertContains(
            self.get(self.officer), "Figures as of noon; they refresh every 5 minutes."
        )
        visit(self.site, self.worker, self.anna, TODAY, Channel.WINDOW, hour=11)
        # 10:45 UTC is 12:45 at the officer's site, in Kyiv.
        with time_machine.travel(NOON + datetime.timedelta(minutes=45)):
            self.assertContains(self.get(self.officer), "Figures as of 12:45 p.m.;")

    def contacts_so_far(self, user: User | None = None) -> str:
        """This month's contacts on the headline, as the page shows them."""
        response = self.get(user or self.officer)
        return str(response.context["board"].headlines[0].so_far)


class FiguresCacheTests(SimpleTestCase):
    """Two requests at once with the figures stale or missing: one computes."""

    asked = Asked(org_id=1, site_id=None, today=TODAY, with_cascade=True, with_stock=True)

    def setUp(self) -> None:
        cache.clear()
        self.addCleanup(cache.clear)

    def figures(self, computed_at: datetime.datetime) -> Figures:
        return Figures(computed_at, {}, {}, {}, cascade=None, stock=None)

    def test_every_part_of_what_is_asked_is_in_the_key(self) -> None:
        others = [
            Asked(2, None, TODAY, True, True),
            Asked(1, 3, TODAY, True, True),
            Asked(1, None, TODAY + datetime.timedelta(days=1), True, True),
            Asked(1, None, TODAY, False, True),
            Asked(1, None, TODAY, True, False),
        ]
        keys = {self.asked.cache_key, *(asked.cache_key for asked in others)}
        self.assertEqual(len(keys), 6)

    @time_machine.travel(NOON, tick=False)
    def test_stale_figures_are_shown_while_another_request_computes(self) -> None:
        stale = self.figures(NOON - datetime.timedelta(minutes=FRESH_MINUTES + 1))
        cache.set(self.asked.cache_key, stale)
        cache.add(self.asked.cache_key + ":computing", True)
        with mock.patch.object(dashboard, "compute_figures") as compute:
            self.assertEqual(cached_figures(self.asked), stale)
        compute.assert_not_called()

    @time_machine.travel(NOON, tick=False)
    def test_with_none_kept_a_request_waits_for_the_one_computing(self) -> None:
        fresh = self.figures(NOON)
        cache.add(self.asked.cache_key + ":computing", True)

        def the_other_request_is_done(seconds: float) -> None:
            cache.set(self.asked.cache_key, fresh)

        with (
            mock.patch.object(dashboard, "compute_figures") as compute,
            mock.patch("outpost.reports.dashboard.time.sleep", the_other_request_is_done),
        ):
            self.assertEqual(cached_figures(self.asked), fresh)
        compute.assert_not_called()

    @time_machine.travel(NOON, tick=False)
    def test_stale_figures_with_nobody_computing_are_computed_again(self) -> None:
        cache.set(self.asked.cache_key, self.figures(NOON - datetime.timedelta(minutes=6)))
        fresh = self.figures(NOON)
        with mock.patch.object(dashboard, "compute_figures", return_value=fresh):
            self.assertEqual(cached_figures(self.asked), fresh)
        self.assertEqual(cache.get(self.asked.cache_key), fresh)
        self.assertFalse(cache.has_key(self.asked.cache_key + ":computing"))


class MonthLabelAndTableTests(SimpleTestCase):
    def test_the_year_is_written_once_where_it_changes(self) -> None:
        months = months_ending(datetime.date(2026, 11, 23))
        labels = [axis_label(month, index) for index, month in enumerate(months)]
        self.assertEqual(labels[:3], ["Dec", "Jan\n2026", "Feb"])
        self.assertEqual(labels[-1], "Nov\nso far")
        self.assertEqual(months[-1].last, datetime.date(2026, 11, 23))
        self.assertEqual(months[-2].last, datetime.date(2026, 10, 31))

    def test_a_chart_table_rounds_shares_and_shows_a_dash_for_none(self) -> None:
        chart = Chart(
            id="rate",
            title="Return rate",
            labels=["Jan\n2026", "Feb"],
            series=[Series("Return rate", [2 / 3, None])],
            percent=True,
        )
        self.assertEqual(chart.rows(), [("Jan 2026", ["66.7%"]), ("Feb", ["—"])])
