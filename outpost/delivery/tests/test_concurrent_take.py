"""Two couriers tapping "Take it" on the same order at once: one gets it."""

import threading
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TransactionTestCase
from django.utils import translation

from outpost.catalogue.models import Kit
from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff, stock
from outpost.delivery import actions
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.factories import make_bag, make_order
from outpost.orgs.models import User

# Long enough for the other courier to check too when nothing makes them
# wait; short, because with the order's row locked they never arrive.
RENDEZVOUS_SECONDS = 2


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite serialises writers itself; this race is about row locks on PostgreSQL",
)
class ConcurrentTakeTests(TransactionTestCase):
    def test_two_couriers_taking_one_order_at_once_leave_it_with_exactly_one(self) -> None:
        org = make_org("race")
        site = make_site(org, "Hub")
        manager = make_staff(org, "manager", Role.MANAGER, site)
        kit = Kit.objects.get(org=org, name="Injecting kit")
        for part in kit.components.all():
            stock(site, part.item, 100, manager)
        couriers = [make_staff(org, name, Role.COURIER, site) for name in ("kostya", "lena")]
        for courier in couriers:
            make_bag(site, courier, kit, kits=2)
        order = actions.approve_delivery(order=make_order(site, manager, kit), worker=manager)

        outcomes = self.take_together(order, couriers)

        taken = DeliveryOrder.objects.select_related("courier").get(pk=order.pk)
        self.assertEqual(taken.status, DeliveryOrder.Status.ASSIGNED)
        assert taken.courier is not None
        self.assertEqual(
            sorted(outcomes),
            sorted(["taken", f"{taken.courier.username} has already taken this delivery."]),
        )

    def take_together(self, order: DeliveryOrder, couriers: list[User]) -> list[str]:
        """Both couriers meet after checking the courier, just before the bag.

        Without the lock on the order's row both see it approved and both
        take it; with it the second waits for the first to commit, the
        meeting times out and the second sees the order taken.
        """
        rendezvous = threading.Barrier(len(couriers), timeout=RENDEZVOUS_SECONDS)
        check_courier = actions._check_courier
        outcomes: list[str] = []
        guard = threading.Lock()

        def checked_then_meet(order: DeliveryOrder, courier: User) -> None:
            check_courier(order, courier)
            try:
                rendezvous.wait()
            except threading.BrokenBarrierError:
                pass

        def attempt(courier: User) -> None:
            try:
                with translation.override("en"):
                    actions.assign_courier(order=order, courier=courier, worker=courier)
                outcome = "taken"
            except DomainError as error:
                outcome = error.message
            finally:
                connections.close_all()
            with guard:
                outcomes.append(outcome)

        threads = [threading.Thread(target=attempt, args=(courier,)) for courier in couriers]
        with mock.patch.object(actions, "_check_courier", checked_then_meet):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return outcomes
