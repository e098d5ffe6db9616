"""Visits recorded at the same moment never oversell (SPEC §5, ASVS 2.3.4)."""

import threading
import unittest

from django.db import connection, connections
from django.db.models import Sum
from django.test import TransactionTestCase

from outpost.catalogue.models import Item
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff, stock
from outpost.inventory.actions import store_of
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import StockBalance, StockMovement

ATTEMPTS = 50
ON_HAND = 40


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite serialises writers itself; this race is about row locks on PostgreSQL",
)
class ConcurrentDispensingTests(TransactionTestCase):
    def test_fifty_visits_at_once_take_exactly_the_forty_on_hand(self) -> None:
        org = make_org("race")
        site = make_site(org)
        worker = make_staff(org, "racer", Role.SOCIAL_WORKER, site)
        client = make_client(org, worker)
        naloxone = Item.objects.get(org=org, category__code="naloxone")
        stock(site, naloxone, ON_HAND, worker)
        start = threading.Barrier(ATTEMPTS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def attempt() -> None:
            start.wait()
            try:
                record_contact(
                    site=site,
                    worker=worker,
                    channel="window",
                    client=client,
                    handout=Handout(items=[(naloxone, 1)]),
                )
                outcome = "saved"
            except OutOfStock:
                outcome = "refused"
            finally:
                connections.close_all()
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(outcomes.count("saved"), ON_HAND)
        self.assertEqual(outcomes.count("refused"), ATTEMPTS - ON_HAND)
        self.assertEqual(Contact.objects.count(), ON_HAND)
        location = store_of(site)
        balance = StockBalance.objects.filter(location=location, item=naloxone)
        self.assertEqual(balance.aggregate(total=Sum("quantity"))["total"], 0)
        ledger = StockMovement.objects.filter(location=location, item=naloxone)
        self.assertEqual(ledger.aggregate(total=Sum("quantity"))["total"], 0)
