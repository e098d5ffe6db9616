"""A client's history: contacts, consultations, tests and referrals, newest first."""

import datetime

import time_machine
from django.urls import reverse

from outpost.cases.history import PAGE_SIZE
from outpost.cases.models import Case
from outpost.cases.tests.base import NOON, CasesTestCase
from outpost.cases.tests.factories import make_consultation
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY
from outpost.testing.models import Result
from outpost.testing.tests.factories import make_contact, make_referral, make_test

# Session, user, authenticator, session activity, membership (twice), the
# client and its groups, the look at it (3), the count, the page, contacts
# with their items and services, tests, referrals, the open case, then the
# history's own audit entry (3).
HISTORY_QUERIES = 22


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days)


@time_machine.travel(NOON, tick=False)
class HistoryViewTests(CasesTestCase):
    def url(self, page: int = 1) -> str:
        return reverse("cases:history", args=[self.anna.pk]) + f"?page={page}"

    def test_lists_every_kind_of_record_newest_first(self) -> None:
        case = self.open_case_for(self.anna)
        make_contact(self.site, self.anna, self.worker, days_ago(10))
        make_test(self.site, self.anna, self.worker, days_ago(5), result=Result.REACTIVE)
        make_referral(self.site, self.anna, self.worker, days_ago(4))
        make_consultation(case, self.documents_topic, days_ago(1), channel="messenger")
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url())
        kinds = [(entry.kind, entry.date) for entry in response.context["entries"]]
        self.assertEqual(
            kinds,
            [
                ("contact", days_ago(1)),
                ("referral", days_ago(4)),
                ("test", days_ago(5)),
                ("contact", days_ago(5)),
                ("contact", days_ago(10)),
            ],
        )
        self.assertContains(response, "Consultation · Messenger")
        self.assertContains(response, "Reactive")
        self.assertTrue(
            AuditEvent.objects.filter(verb="case_history.viewed", target_id=self.anna.pk)
        )

    def test_pages_take_the_same_queries_whatever_the_history(self) -> None:
        case = self.open_case_for(self.anna)
        self.add_records(case, 1)
        self.client.force_login(self.case_manager)
        with self.assertNumQueries(HISTORY_QUERIES):
            self.client.get(self.url())
        self.add_records(case, 20)
        with self.assertNumQueries(HISTORY_QUERIES):
            response = self.client.get(self.url(2))
        self.assertEqual(len(response.context["entries"]), PAGE_SIZE)
        self.assertEqual(response.context["page"].paginator.count, 21 * 4)

    def test_other_roles_are_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_refused_to(self.url(), self.courier, self.officer, self.worker)
        self.assert_outsider_gets_404(self.url())

    def add_records(self, case: Case, days: int) -> None:
        """Per day a test (with its contact), a referral and a consultation."""
        for day in range(days):
            date = days_ago(day + 1)
            make_test(self.site, self.anna, self.worker, date)
            make_referral(self.site, self.anna, self.worker, date)
            make_consultation(case, self.documents_topic, date)
