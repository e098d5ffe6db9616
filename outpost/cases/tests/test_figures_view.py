"""The figures page: counts for managers and M&E officers, never a note or a code."""

import time_machine
from django.urls import reverse

from outpost.cases.tests.base import NOON, CasesTestCase
from outpost.core.tests.base import TODAY

NOTE = "Lives with Petro on Sadova street"


@time_machine.travel(NOON, tick=False)
class FiguresViewTests(CasesTestCase):
    url = reverse("cases:figures")

    def test_an_officer_sees_this_months_counts_and_no_note_or_code(self) -> None:
        self.consult(self.open_case_for(self.anna), note=NOTE)
        self.client.force_login(self.officer)
        response = self.client.get(self.url)
        self.assertEqual(response.context["consultations"][0].consultations, 1)
        self.assertContains(response, "Documents")
        self.assertNotContains(response, NOTE)
        self.assertNotContains(response, self.anna.code)

    def test_a_period_that_ends_before_it_starts_answers_400(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(self.url, {"first": TODAY.isoformat(), "last": "2026-01-01"})
        self.assertContains(response, "ends before it starts", status_code=400)

    def test_a_courier_and_a_social_worker_are_refused(self) -> None:
        self.assert_refused_to(self.url, self.courier, self.worker)
