"""The continuity page: the share kept, beside the modes of the period."""

import datetime

import time_machine
from django.urls import reverse
from django.utils import formats

from outpost.contacts.models import Contact
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.modes.actions import change_mode


class ContinuityViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("room:continuity", args=[self.site.pk])

    def test_an_me_officer_sees_the_share_beside_the_modes(self) -> None:
        today = self.site.local_today()
        Contact.objects.create(
            org=self.org,
            site=self.site,
            client=self.anna,
            channel="window",
            occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=40),
            date=today - datetime.timedelta(days=40),
            worker=self.worker,
        )
        change_mode(site=self.site, manager=self.manager, mode="restricted", reason="Quarantine")
        officer = make_staff(self.org, "officer", Role.ME_OFFICER, self.site)
        self.client.force_login(officer)
        response = self.client.get(self.url, {"first": str(today), "last": str(today)})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["result"].cohort, 1)
        self.assertEqual(response.context["result"].kept, 0)
        self.assertContains(response, "Quarantine")
        cohort_from = today - datetime.timedelta(days=90)
        cohort_to = today - datetime.timedelta(days=1)
        self.assertContains(
            response,
            f"Of the 1 client with a contact from {formats.date_format(cohort_from)} "
            f"to {formats.date_format(cohort_to)}, 0 had a contact in the period.",
        )
        self.assertContains(response, "0 %")
        self.assertEqual(
            [span.mode.value for span in response.context["spans"]], ["normal", "restricted"]
        )

    def test_a_period_that_ends_before_it_starts_is_refused(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(self.url, {"first": "2026-03-31", "last": "2026-03-01"})
        self.assertContains(response, "ends before it starts", status_code=422)

    def test_a_period_that_ends_after_today_is_refused(self) -> None:
        with time_machine.travel(datetime.datetime(2026, 11, 10, 12, tzinfo=datetime.UTC)):
            self.client.force_login(self.manager)
            response = self.client.get(self.url, {"first": "2026-11-01", "last": "2026-11-30"})
        self.assertContains(
            response, "The period cannot end after today, Nov. 10, 2026.", status_code=422
        )
        self.assertNotIn("spans", response.context)
        self.assertNotIn("result", response.context)

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
