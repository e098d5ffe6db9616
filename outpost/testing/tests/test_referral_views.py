"""Referring a client, completing a referral, and the list of referrals due."""

import datetime
import uuid
from typing import TYPE_CHECKING

import time_machine
from django.urls import reverse

from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, make_client
from outpost.testing.models import Milestone, Referral, Result
from outpost.testing.tests.base import NOON, TestingViewTestCase
from outpost.testing.tests.factories import make_referral, make_test

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

# Session, user, authenticator, session activity, membership (twice), site,
# lost referrals (inside a savepoint: 3), the list, then the audit entry
# (chain head, insert, head update).
DUE_LIST_QUERIES = 14


@time_machine.travel(NOON, tick=False)
class ReferViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:refer", args=[site_id or self.site.pk, self.anna.pk])

    def test_refers_from_a_reactive_result_named_in_the_link(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        self.assertContains(self.client.get(f"{self.url()}?test={test.pk}"), "From the test")
        response = self.client.post(
            self.url(),
            {
                "target": "confirmatory",
                "test": test.pk,
                "due_on": "2026-03-09",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(response.status_code, 302)
        referral = Referral.objects.get()
        self.assertEqual((referral.test, referral.disease), (test, "hiv"))

    def test_showing_the_result_referred_from_is_audited(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        self.client.get(f"{self.url()}?test={test.pk}")
        self.assertTrue(
            AuditEvent.objects.filter(
                verb="test.viewed", target_id=test.pk, actor_id=self.worker.pk
            ).exists()
        )

    def post(self, **fields: object) -> "TestResponse":
        data = {"due_on": "2026-03-09", "idempotency_key": str(uuid.uuid4()), **fields}
        return self.client.post(self.url(), data)

    def test_from_an_hiv_test_hcv_treatment_with_a_disease_to_confirm_is_refused(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        response = self.post(target="hcv_treatment", test=test.pk, disease="syphilis")
        self.assertContains(
            response,
            "An infection to confirm is only for a referral to confirmatory testing",
            status_code=422,
        )
        self.assertEqual(Referral.objects.count(), 0)

    def test_a_disease_to_confirm_for_another_service_is_refused(self) -> None:
        self.client.force_login(self.worker)
        response = self.post(target="tb", disease="hiv")
        self.assertContains(response, "leave “Confirmation of” empty", status_code=422)
        self.assertEqual(Referral.objects.count(), 0)

    def test_hcv_treatment_from_an_hiv_result_is_refused(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        response = self.post(target="hcv_treatment", test=test.pk)
        self.assertContains(
            response,
            "This test was for HIV, so it cannot lead to a referral to HCV treatment.",
            status_code=422,
        )
        self.assertEqual(Referral.objects.count(), 0)

    def test_confirming_another_infection_than_the_test_s_is_refused(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        response = self.post(target="confirmatory", test=test.pk, disease="syphilis")
        self.assertContains(response, "the confirmation must be of HIV too", status_code=422)
        self.assertEqual(Referral.objects.count(), 0)

    def test_fitting_combinations_are_saved(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        self.assertEqual(self.post(target="hiv_care", test=test.pk).status_code, 302)
        self.assertEqual(self.post(target="tb", test=test.pk, disease="").status_code, 302)
        self.assertEqual(self.post(target="confirmatory", disease="hcv").status_code, 302)
        self.assertEqual(
            sorted(Referral.objects.values_list("target", "disease")),
            [("confirmatory", "hcv"), ("hiv_care", ""), ("tb", "")],
        )

    def test_from_a_test_the_infection_to_confirm_is_not_asked(self) -> None:
        test = make_test(self.site, self.anna, self.worker, TODAY, result=Result.REACTIVE)
        self.client.force_login(self.worker)
        from_test = self.client.get(f"{self.url()}?test={test.pk}")
        self.assertContains(from_test, '<input type="hidden" name="disease"')
        self.assertNotContains(from_test, "Confirmation of")
        self.assertContains(self.client.get(self.url()), "Confirmation of")

    def test_a_due_date_before_today_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url(),
            {
                "target": "tb",
                "due_on": "2026-03-01",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertContains(response, "The due date must be between today", status_code=422)
        self.assertEqual(Referral.objects.count(), 0)

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url(self.other_site.pk))


@time_machine.travel(NOON, tick=False)
class CompleteReferralViewTests(TestingViewTestCase):
    referral: Referral

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.referral = make_referral(cls.site, cls.anna, cls.worker, TODAY - datetime.timedelta(5))

    def url(self, site_id: int | None = None) -> str:
        return reverse(
            "testing:referral_complete", args=[site_id or self.site.pk, self.referral.pk]
        )

    def test_completes_the_referral_with_the_confirmed_result(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(
            self.url(),
            {"completed_on": "2026-03-01", "confirmation": "document", "outcome": "hiv_confirmed"},
        )
        self.assertEqual(response.status_code, 302)
        self.referral.refresh_from_db()
        self.assertEqual(self.referral.status, "completed")
        self.assertEqual(Milestone.objects.get().kind, "hiv_confirmed")

    def test_a_completion_date_before_the_referral_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(
            self.url(), {"completed_on": "2026-02-20", "confirmation": "client"}
        )
        self.assertContains(
            response, "before the referral was issued on 2026-02-25", status_code=422
        )
        self.referral.refresh_from_db()
        self.assertEqual(self.referral.status, "issued")

    def test_an_open_referral_shows_the_form_under_an_action_title(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url())
        self.assertContains(response, "<h1>Mark the referral completed</h1>", html=True)
        self.assertContains(response, 'name="completed_on"')

    def test_a_completed_referral_is_shown_read_only_with_its_date_and_confirmation(
        self,
    ) -> None:
        self.client.force_login(self.case_manager)
        self.client.post(
            self.url(),
            {"completed_on": "2026-03-01", "confirmation": "document", "outcome": "hiv_confirmed"},
        )
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<h1>Referral completed</h1>", html=True)
        self.assertContains(response, "<dd>2026-03-01</dd>", html=True)
        self.assertContains(response, "A document or photo was seen")
        self.assertContains(response, "HIV confirmed positive")
        self.assertNotContains(response, 'method="post" class="stack')
        self.assertNotContains(response, 'name="completed_on"')
        self.assertNotContains(response, 'name="confirmation"')

    def test_sending_a_completed_referral_again_is_refused_and_changes_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        self.client.post(self.url(), {"completed_on": "2026-03-01", "confirmation": "client"})
        response = self.client.post(
            self.url(), {"completed_on": "2026-03-02", "confirmation": "service"}
        )
        self.assertContains(response, "This referral is already completed.", status_code=422)
        self.referral.refresh_from_db()
        self.assertEqual(
            (self.referral.completed_on, self.referral.confirmation),
            (datetime.date(2026, 3, 1), "client"),
        )

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        outsider_url = reverse(
            "testing:referral_complete", args=[self.other_site.pk, self.referral.pk]
        )
        self.assert_courier_and_outsider_refused(self.url(), outsider_url)


@time_machine.travel(NOON, tick=False)
class ReferralsDueViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:referrals_due", args=[site_id or self.site.pk])

    def test_lists_overdue_and_due_referrals_oldest_first_and_leaves_out_later_ones(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        soon = make_referral(
            self.site, boris, self.worker, TODAY, due_on=TODAY + datetime.timedelta(5)
        )
        late = make_referral(
            self.site,
            self.anna,
            self.worker,
            TODAY - datetime.timedelta(20),
            due_on=TODAY - datetime.timedelta(3),
        )
        make_referral(
            self.site, self.anna, self.worker, TODAY, due_on=TODAY + datetime.timedelta(30)
        )
        make_referral(
            self.site, boris, self.worker, TODAY - datetime.timedelta(9), completed_on=TODAY
        )
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url())
        self.assertEqual(response.context["referrals"], [late, soon])
        self.assertContains(response, "· overdue", count=1)

    def test_the_action_link_reads_mark_completed_not_a_second_status(self) -> None:
        make_referral(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url())
        self.assertContains(response, ">Mark completed</a>")
        self.assertNotContains(response, ">Completed</a>")

    def test_reading_the_list_marks_referrals_past_90_days_lost(self) -> None:
        old = make_referral(self.site, self.anna, self.worker, TODAY - datetime.timedelta(91))
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url())
        old.refresh_from_db()
        self.assertEqual(old.status, "lost")
        self.assertEqual(response.context["referrals"], [])

    def test_the_page_takes_the_same_queries_for_one_or_many_referrals(self) -> None:
        make_referral(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.case_manager)
        with self.assertNumQueries(DUE_LIST_QUERIES):
            self.client.get(self.url())
        for number in range(5):
            client = make_client(self.org, self.worker, mother="Oksana", birth_year=1970 + number)
            make_referral(self.site, client, self.worker, TODAY)
        with self.assertNumQueries(DUE_LIST_QUERIES):
            self.client.get(self.url())

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url())
