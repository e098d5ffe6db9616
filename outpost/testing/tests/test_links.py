"""Every link a testing page shows opens for the person who sees it.

The pages hide what a role may not open (the ``can`` context): a link that
answers 403 is a link that should not have been shown.
"""

import datetime
import re

import time_machine
from django.urls import reverse

from outpost.core.tests.base import TODAY
from outpost.orgs.models import User
from outpost.testing.models import ArtCourse, Referral, Result, Test
from outpost.testing.tests.base import NOON, TestingViewTestCase
from outpost.testing.tests.factories import make_art_course, make_referral, make_test

HREF = re.compile(r'href="(/[^"]*)"')


@time_machine.travel(NOON, tick=False)
class LinksTests(TestingViewTestCase):
    test: Test
    open_referral: Referral
    done_referral: Referral
    course: ArtCourse

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.test = make_test(cls.site, cls.anna, cls.worker, TODAY, result=Result.REACTIVE)
        cls.open_referral = make_referral(cls.site, cls.anna, cls.worker, TODAY)
        cls.done_referral = make_referral(
            cls.site,
            cls.anna,
            cls.worker,
            TODAY - datetime.timedelta(3),
            target="tb",
            completed_on=TODAY,
        )
        cls.course = make_art_course(cls.site, cls.anna, cls.manager, TODAY)

    def pages(self) -> list[str]:
        site, client = self.site.pk, self.anna.pk
        return [
            reverse("testing:client", args=[site, client]),
            reverse("testing:record_test", args=[site, client]),
            reverse("testing:refer", args=[site, client]) + f"?test={self.test.pk}",
            reverse("testing:outcome", args=[site, client]),
            reverse("testing:art_start", args=[site, client]),
            reverse("testing:referrals_due", args=[site]),
            reverse("testing:referral_complete", args=[site, self.open_referral.pk]),
            reverse("testing:referral_complete", args=[site, self.done_referral.pk]),
            reverse("testing:art_due", args=[site]),
            reverse("testing:art_deliver", args=[site, self.course.pk]),
            reverse("testing:cascade", args=[site]),
        ]

    def refused_links(self, user: User) -> dict[str, set[str]]:
        """The links each page shows ``user`` that answer 403, by the page."""
        self.client.force_login(user)
        refused: dict[str, set[str]] = {}
        answers: dict[str, int] = {}
        for page in self.pages():
            response = self.client.get(page)
            if response.status_code != 200:
                continue
            for link in set(HREF.findall(response.content.decode())):
                link = link.replace("&amp;", "&")
                if link not in answers:
                    answers[link] = self.client.get(link).status_code
                if answers[link] == 403:
                    refused.setdefault(page, set()).add(link)
        return refused

    def test_a_social_worker_is_not_shown_art_due_or_any_link_it_may_not_open(self) -> None:
        self.assertEqual(self.refused_links(self.worker), {})
        self.client.force_login(self.worker)
        response = self.client.get(reverse("testing:client", args=[self.site.pk, self.anna.pk]))
        self.assertNotContains(response, reverse("testing:art_due", args=[self.site.pk]))
        self.assertNotContains(response, "ART due")

    def test_a_case_manager_is_shown_only_links_it_may_open(self) -> None:
        self.assertEqual(self.refused_links(self.case_manager), {})

    def test_a_manager_is_shown_only_links_it_may_open(self) -> None:
        self.assertEqual(self.refused_links(self.manager), {})

    def test_an_m_and_e_officer_is_shown_only_links_it_may_open(self) -> None:
        self.assertEqual(self.refused_links(self.officer), {})
