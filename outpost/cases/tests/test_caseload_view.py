"""The case manager's caseload: their home page."""

import datetime

import time_machine
from django.urls import reverse

from outpost.cases.actions import FollowUpIn
from outpost.cases.tests.base import NOON, TOMORROW, CasesTestCase
from outpost.cases.tests.factories import make_case, make_consultation
from outpost.clients.models import Client
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, make_client
from outpost.testing.tests.factories import make_referral

# Session, user, authenticator, session activity, membership (twice), lost
# referrals (inside a savepoint: 3), open cases, their goals, follow-ups
# due, open referrals, then the audit entry (chain head, insert, head update).
CASELOAD_QUERIES = 16


@time_machine.travel(NOON, tick=False)
class CaseloadViewTests(CasesTestCase):
    url = reverse("cases:caseload")

    def test_a_case_manager_lands_on_their_caseload(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, self.url, fetch_redirect_response=False)

    def test_shows_follow_ups_due_today_and_overdue_and_leaves_out_later_ones(self) -> None:
        case = self.open_case_for(self.anna)
        self.consult(case, follow_ups=[FollowUpIn("Call about the passport", TODAY)])
        self.consult(case, follow_ups=[FollowUpIn("Ask about the flat", TOMORROW)])
        overdue = make_consultation(
            case, self.documents_topic, TODAY - datetime.timedelta(3), due_on=TODAY
        ).follow_ups.get()
        overdue.due_on = TODAY - datetime.timedelta(1)
        overdue.save()
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url)
        self.assertContains(response, "Call about the passport")
        self.assertNotContains(response, "Ask about the flat")
        self.assertContains(response, "· overdue", count=1)
        self.assertEqual(len(response.context["load"].due_today), 1)

    def test_shows_open_referrals_of_the_case_managers_clients_only(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        self.open_case_for(self.anna)
        mine = make_referral(self.site, self.anna, self.worker, TODAY)
        make_referral(self.site, boris, self.worker, TODAY)
        make_referral(
            self.site, self.anna, self.worker, TODAY - datetime.timedelta(9), completed_on=TODAY
        )
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url)
        self.assertEqual(response.context["load"].referrals, [mine])

    def test_lists_clients_not_seen_for_30_days(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        Client.objects.filter(pk=self.anna.pk).update(
            last_contact_date=TODAY - datetime.timedelta(31)
        )
        Client.objects.filter(pk=boris.pk).update(last_contact_date=TODAY - datetime.timedelta(30))
        anna_case, _ = self.open_case_for(self.anna), self.open_case_for(boris)
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url)
        self.assertEqual(response.context["load"].not_seen, [anna_case])

    def test_shows_only_the_case_managers_own_open_cases(self) -> None:
        mine = self.open_case_for(self.anna)
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        make_case(self.site, boris, self.manager, TODAY)
        make_case(
            self.site,
            make_client(self.org, self.worker, mother="Iryna", birth_year=1979),
            self.case_manager,
            TODAY - datetime.timedelta(5),
            closed_on=TODAY,
        )
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url)
        self.assertEqual(response.context["load"].cases, [mine])
        self.assertTrue(
            AuditEvent.objects.filter(verb="caseload.viewed", actor_id=self.case_manager.pk)
        )

    def test_the_page_takes_the_same_queries_for_one_case_or_many(self) -> None:
        self.add_cases(1)
        self.client.force_login(self.case_manager)
        self.client.get(self.url)  # loads the vault's keys once
        with self.assertNumQueries(CASELOAD_QUERIES):
            self.client.get(self.url)
        self.add_cases(8)
        with self.assertNumQueries(CASELOAD_QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["load"].cases), 9)
        self.assertEqual(len(response.context["load"].due), 9)

    def test_a_courier_an_officer_and_a_social_worker_are_refused(self) -> None:
        self.assert_refused_to(self.url, self.courier, self.officer, self.worker)

    def add_cases(self, count: int) -> None:
        start = Client.objects.count()
        for number in range(count):
            client = make_client(
                self.org, self.worker, mother="Oksana", birth_year=1950 + start + number
            )
            case = make_case(
                self.site,
                client,
                self.case_manager,
                TODAY,
                goal_types=(self.documents, self.housing),
            )
            make_consultation(case, self.documents_topic, TODAY, due_on=TODAY)
            make_referral(self.site, client, self.worker, TODAY)
