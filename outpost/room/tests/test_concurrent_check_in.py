"""Two workers checking clients in at the same moment never overfill the room."""

import threading
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TransactionTestCase
from django.utils import translation

from outpost.clients.models import Client
from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff
from outpost.modes.actions import confirm_ppe
from outpost.orgs.models import Site, User
from outpost.room import actions
from outpost.room.models import RoomSession
from outpost.room.tests.factories import more_clients, restrict

# Long enough for the other worker to count too when nothing makes it wait;
# short, because with the site's row locked it never arrives.
RENDEZVOUS_SECONDS = 2


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite serialises writers itself; this race is about row locks on PostgreSQL",
)
class ConcurrentCheckInTests(TransactionTestCase):
    def test_with_one_place_exactly_one_of_two_workers_gets_their_client_in(self) -> None:
        org = make_org("race")
        site = make_site(org, "Sumy room")
        manager = make_staff(org, "manager", Role.MANAGER, site)
        worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
        restrict(site, manager)
        confirm_ppe(site=site, worker=worker)
        clients = [make_client(org, manager), *more_clients(org, manager, 1)]

        outcomes = self.check_in_together(site, [(manager, clients[0]), (worker, clients[1])])

        full = "The room is full: 1 of 1 places taken. Add the client to the waiting list."
        self.assertEqual(sorted(outcomes), [full, "in"])
        self.assertEqual(RoomSession.objects.inside(site).count(), 1)

    def check_in_together(self, site: Site, attempts: list[tuple[User, Client]]) -> list[str]:
        """Run the check-ins in threads that meet once each has counted who is inside.

        Without the lock on the site's row both count an empty room and both
        get in; with it the second waits for the first to commit, so the
        meeting times out and the second counts a full room.
        """
        rendezvous = threading.Barrier(len(attempts), timeout=RENDEZVOUS_SECONDS)
        check_turn = actions._check_turn
        outcomes: list[str] = []
        guard = threading.Lock()

        def counted_then_meet(site: Site, client: Client) -> None:
            try:
                rendezvous.wait()
            except threading.BrokenBarrierError:
                pass
            check_turn(site, client)

        def attempt(worker: User, client: Client) -> None:
            try:
                with translation.override("en"):
                    actions.check_in(site=site, client=client, worker=worker)
                outcome = "in"
            except DomainError as error:
                outcome = error.message
            finally:
                connections.close_all()
            with guard:
                outcomes.append(outcome)

        threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
        with mock.patch.object(actions, "_check_turn", counted_then_meet):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return outcomes
