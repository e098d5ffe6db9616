"""A client's tests and referrals page: who may look, and every look audited."""

import time_machine
from django.urls import reverse

from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY
from outpost.testing.models import Milestone, Result
from outpost.testing.tests.base import NOON, TestingViewTestCase
from outpost.testing.tests.factories import (
    make_art_course,
    make_outcome,
    make_referral,
    make_test,
)

# Session, user, authenticator, session activity, membership (twice), site,
# client (and its groups), client.viewed (3), lost referrals (inside a
# savepoint: 3), tests.viewed (3), then tests, referrals, outcomes, ART and
# open self-tests.
CLIENT_RECORD_QUERIES = 23


@time_machine.travel(NOON, tick=False)
class ClientRecordViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:client", args=[site_id or self.site.pk, self.anna.pk])

    def test_shows_results_and_referrals_with_a_refer_link_for_a_reactive_result(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        make_referral(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.worker)
        response = self.client.get(self.url())
        self.assertContains(response, "Reactive")
        self.assertContains(response, f"?test={test.pk}")
        self.assertContains(response, "Confirmatory testing")

    def test_each_look_is_audited_as_a_client_view_and_a_results_view(self) -> None:
        self.client.force_login(self.case_manager)
        self.client.get(self.url())
        verbs = set(
            AuditEvent.objects.filter(
                actor_id=self.case_manager.pk, target_id=self.anna.pk
            ).values_list("verb", flat=True)
        )
        self.assertEqual(verbs, {"client.viewed", "tests.viewed"})

    def test_the_page_takes_the_same_queries_for_one_or_many_records(self) -> None:
        make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        make_referral(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.case_manager)
        with self.assertNumQueries(CLIENT_RECORD_QUERIES):
            self.client.get(self.url())
        for _ in range(3):
            make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
            make_referral(self.site, self.anna, self.worker, TODAY, target="tb")
        make_outcome(self.site, self.anna, self.worker, Milestone.Kind.HIV_CONFIRMED, TODAY)
        with self.assertNumQueries(CLIENT_RECORD_QUERIES):
            self.client.get(self.url())

    def test_a_manager_is_offered_to_start_art_for_a_client_not_on_art(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(self.url())
        start = reverse("testing:art_start", args=[self.site.pk, self.anna.pk])
        self.assertContains(response, f'<a class="button" href="{start}">Start ART</a>', html=True)
        self.assertNotContains(response, "On ART")

    def test_a_client_on_art_is_not_offered_to_start_it_again(self) -> None:
        make_art_course(self.site, self.anna, self.manager, TODAY)
        self.client.force_login(self.manager)
        response = self.client.get(self.url())
        self.assertNotContains(response, "Start ART")
        self.assertContains(response, "TDF/3TC/DTG")

    def test_a_test_reads_as_the_infection_then_how_it_was_tested(self) -> None:
        make_test(self.site, self.anna, self.worker, TODAY, disease="hcv")
        self.client.force_login(self.worker)
        response = self.client.get(self.url())
        self.assertContains(response, "HCV (antibody): rapid test done by staff")
        self.assertNotContains(response, "Rapid test done by staff")

    def test_a_referral_offers_mark_completed_then_how_it_was_completed(self) -> None:
        open_one = make_referral(self.site, self.anna, self.worker, TODAY)
        done = make_referral(
            self.site, self.anna, self.worker, TODAY, target="tb", completed_on=TODAY
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.url())
        complete = reverse("testing:referral_complete", args=[self.site.pk, open_one.pk])
        shown = reverse("testing:referral_complete", args=[self.site.pk, done.pk])
        self.assertContains(response, f'<a href="{complete}">Mark completed</a>', html=True)
        self.assertContains(response, f'<a href="{shown}">How it was completed</a>', html=True)
        self.assertNotContains(response, ">Completed</a>")

    def test_an_m_and_e_officer_sees_figures_but_not_a_client_s_results(self) -> None:
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url(self.other_site.pk))
