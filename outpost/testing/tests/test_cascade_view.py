"""The cascade page: a chart drawn on the server and the same figures as a table."""

import time_machine
from django.urls import reverse

from outpost.core.tests.base import TODAY, make_client, make_site
from outpost.testing.models import Milestone, Result
from outpost.testing.tests.base import NOON, TestingViewTestCase
from outpost.testing.tests.factories import (
    make_art_course,
    make_outcome,
    make_referral,
    make_test,
)
from outpost.testing.views import Table

# Session, user, authenticator, session activity, membership (twice), site,
# then one query a stage: 6 for the period and 6 for each of the two cohorts
# (a cohort stays below that when a stage has no client to follow).
CASCADE_QUERIES = 7 + 6 * 3


def first_two_stages(tables: list[Table]) -> list[int]:
    """The clients tested and reactive in the period table of a cascade page."""
    return [bar.stage.clients for bar in tables[0].bars[:2]]


@time_machine.travel(NOON, tick=False)
class CascadeViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:cascade", args=[site_id or self.site.pk])

    def test_an_m_and_e_officer_sees_the_period_and_both_cohorts_as_bars_and_tables(self) -> None:
        make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        make_referral(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.officer)
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        period, *cohorts = response.context["tables"]
        self.assertEqual([bar.stage.clients for bar in period.bars], [1, 1, 1, 0, 0, 0])
        self.assertEqual(len(cohorts), 2)
        self.assertContains(
            response, '<rect x="260" y="4" width="300" height="20" class="cascade-bar">', html=True
        )
        self.assertContains(response, "followed for 90 days")
        self.assertNotContains(response, self.anna.code)
        self.assertNotContains(response, "style=")

    def test_shows_the_hcv_cascade_for_the_whole_organisation_or_this_site(self) -> None:
        van = make_site(self.org, "Kharkiv van")
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        make_test(self.site, self.anna, self.worker, TODAY, disease="hcv", result="reactive")
        make_test(van, boris, self.worker, TODAY, disease="hcv")
        make_test(self.site, boris, self.worker, TODAY)  # HIV: not in the HCV cascade
        self.client.force_login(self.manager)
        query = {"disease": "hcv", "first": "2026-01-01", "last": "2026-03-02"}
        response = self.client.get(self.url(), {**query, "scope": "org"})
        self.assertContains(response, "Viraemic")
        # Tested: Anna here and Boris at the van; reactive: Anna.
        self.assertEqual(first_two_stages(response.context["tables"]), [2, 1])
        response = self.client.get(self.url(), {**query, "scope": "site"})
        self.assertEqual(first_two_stages(response.context["tables"]), [1, 1])

    def test_the_page_takes_the_same_queries_for_one_or_many_clients(self) -> None:
        # Anna reaches every stage today, so no cohort stage is skipped.
        make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        make_referral(self.site, self.anna, self.worker, TODAY)
        make_outcome(self.site, self.anna, self.worker, Milestone.Kind.HIV_CONFIRMED, TODAY)
        make_referral(
            self.site, self.anna, self.worker, TODAY, target="hiv_care", completed_on=TODAY
        )
        make_art_course(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.officer)
        with self.assertNumQueries(CASCADE_QUERIES):
            self.client.get(self.url())
        for number in range(3):
            client = make_client(self.org, self.worker, mother="Oksana", birth_year=1970 + number)
            make_test(self.site, client, self.worker, TODAY, result=Result.REACTIVE)
            make_referral(self.site, client, self.worker, TODAY)
        with self.assertNumQueries(CASCADE_QUERIES):
            self.client.get(self.url())

    def test_says_above_each_cohort_whose_follow_up_is_not_over_when_it_ends(self) -> None:
        self.client.force_login(self.officer)
        response = self.client.get(
            self.url(),
            {"disease": "hiv", "first": "2026-01-01", "last": "2026-01-31", "scope": "site"},
        )
        period, followed_28, followed_90 = response.context["tables"]
        # 2026-01-31 + 28 days is 2026-02-28, before today (2026-03-02).
        self.assertEqual((period.note, followed_28.note), ("", ""))
        self.assertIn("Follow-up not over until 2026-05-01", followed_90.note)
        self.assertContains(response, 'data-testid="follow-up-note"', count=1)
        page = response.content.decode()
        self.assertLess(
            page.index("followed for 28 days"), page.index("Follow-up not over until 2026-05-01")
        )
        self.assertLess(
            page.index("followed for 90 days"), page.index("Follow-up not over until 2026-05-01")
        )
        self.assertLess(page.index("Follow-up not over until"), page.index('"cascade-3"'))

    def test_a_cohort_followed_up_to_today_is_not_over_yet(self) -> None:
        self.client.force_login(self.officer)
        response = self.client.get(
            self.url(),
            {"disease": "hcv", "first": "2026-02-01", "last": "2026-02-02", "scope": "site"},
        )
        _, followed_28, _ = response.context["tables"]
        self.assertIn("Follow-up not over until 2026-03-02", followed_28.note)
        response = self.client.get(
            self.url(),
            {"disease": "hcv", "first": "2026-02-01", "last": "2026-02-01", "scope": "site"},
        )
        self.assertEqual(response.context["tables"][1].note, "")

    def test_a_period_that_ends_before_it_starts_answers_400(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(
            self.url(),
            {"disease": "hiv", "first": "2026-03-02", "last": "2026-03-01", "scope": "site"},
        )
        self.assertContains(response, "The period ends before it starts.", status_code=400)

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.courier)
        self.assertEqual(self.client.get(self.url()).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url()).status_code, 404)
