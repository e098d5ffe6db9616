"""Visits and transfers at the same moment never oversell (SPEC §5, ASVS 2.3.4)."""

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
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.inventory.transfers import send_transfer

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

    def test_visits_and_transfers_racing_for_one_shelf_take_exactly_what_is_there(self) -> None:
        org = make_org("race-mixed")
        site = make_site(org)
        worker = make_staff(org, "racer", Role.SOCIAL_WORKER, site)
        naloxone = Item.objects.get(org=org, category__code="naloxone")
        stock(site, naloxone, ON_HAND, worker)
        store = store_of(site)
        bus = Location.objects.create(org=org, name="Bus", kind=Location.Kind.MOBILE_UNIT)
        start = threading.Barrier(ATTEMPTS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def attempt(number: int) -> None:
            start.wait()
            try:
                if number % 2:
                    record_contact(
                        site=site,
                        worker=worker,
                        channel="window",
                        client=None,
                        handout=Handout(items=[(naloxone, 1)]),
                    )
                    outcome = "visit"
                else:
                    send_transfer(
                        source=store,
                        destination=bus,
                        lines=[(naloxone, 1)],
                        worker=worker,
                        occurred_on=site.local_today(),
                        received_now=True,
                    )
                    outcome = "transfer"
            except OutOfStock:
                outcome = "refused"
            finally:
                connections.close_all()
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(outcomes.count("refused"), ATTEMPTS - ON_HAND)
        self.assertEqual(Contact.objects.filter(org=org).count(), outcomes.count("visit"))

        moved = outcomes.count("transfer")
        for place, expected in ((store, 0), (bus, moved)):
            balance = StockBalance.objects.filter(location=place).aggregate(total=Sum("quantity"))
            ledger = StockMovement.objects.filter(location=place).aggregate(total=Sum("quantity"))
            self.assertEqual((balance["total"] or 0, ledger["total"] or 0), (expected, expected))
