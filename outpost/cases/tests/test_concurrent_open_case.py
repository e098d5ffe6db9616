"""Two case managers opening a case for one client at once open exactly one."""

import threading
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TransactionTestCase
from django.utils import translation

from outpost.cases import actions
from outpost.cases.models import Case, GoalType
from outpost.clients.models import Client
from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff
from outpost.orgs.models import Site, User

RENDEZVOUS_SECONDS = 2


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite serialises writers itself; this race is about the unique index on PostgreSQL",
)
class ConcurrentOpenCaseTests(TransactionTestCase):
    def test_only_one_of_two_case_managers_opens_the_case_and_the_other_is_told(
        self,
    ) -> None:
        org = make_org("race")
        actions.install_case_lists(org=org)
        site = make_site(org, "Office")
        first = make_staff(org, "first", Role.CASE_MANAGER, site)
        second = make_staff(org, "second", Role.CASE_MANAGER, site)
        client = make_client(org, first)

        outcomes = self.open_together(site, client, [first, second])

        self.assertEqual(sorted(outcomes), ["This client already has an open case.", "opened"])
        self.assertEqual(Case.objects.open().filter(client=client).count(), 1)

    def open_together(self, site: Site, client: Client, managers: list[User]) -> list[str]:
        """Both look for an open case, meet, then both try to save one."""
        rendezvous = threading.Barrier(len(managers), timeout=RENDEZVOUS_SECONDS)
        check = actions._check_no_open_case
        goal = GoalType.objects.get(org_id=site.org_id, name="Housing")
        outcomes: list[str] = []
        guard = threading.Lock()

        def checked_then_meet(client: Client) -> None:
            check(client)
            try:
                rendezvous.wait()
            except threading.BrokenBarrierError:
                pass

        def attempt(manager: User) -> None:
            try:
                with translation.override("en"):
                    actions.open_case(
                        site=site,
                        worker=manager,
                        client=client,
                        manager=manager,
                        goal_types=[goal],
                    )
                outcome = "opened"
            except DomainError as error:
                outcome = error.message
            finally:
                connections.close_all()
            with guard:
                outcomes.append(outcome)

        threads = [threading.Thread(target=attempt, args=[manager]) for manager in managers]
        with mock.patch.object(actions, "_check_no_open_case", checked_then_meet):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return outcomes
