"""The page that records a step of care a service reported back."""

import uuid

import time_machine
from django.urls import reverse

from outpost.testing.models import Milestone
from outpost.testing.tests.base import NOON, TestingViewTestCase


@time_machine.travel(NOON, tick=False)
class OutcomeViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:outcome", args=[site_id or self.site.pk, self.anna.pk])

    def data(self, **fields: object) -> dict[str, object]:
        return {
            "kind": "hiv_confirmed",
            "occurred_on": "2026-03-01",
            "idempotency_key": str(uuid.uuid4()),
            **fields,
        }

    def test_records_the_outcome_and_shows_it_on_the_client_s_record(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(self.url(), self.data(), follow=True)
        self.assertRedirects(
            response, reverse("testing:client", args=[self.site.pk, self.anna.pk])
        )
        self.assertContains(response, "Outcome saved.")
        self.assertContains(response, "2026-03-01 · HIV confirmed positive")
        self.assertEqual(Milestone.objects.get().kind, "hiv_confirmed")

    def test_a_date_after_today_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(self.url(), self.data(occurred_on="2026-03-03"))
        self.assertContains(response, "That date is later than today.", status_code=422)
        self.assertEqual(Milestone.objects.count(), 0)

    def test_an_m_and_e_officer_is_refused(self) -> None:
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url(self.other_site.pk))
