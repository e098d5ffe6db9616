"""SPEC §5: every balance equals the sum of its movements and never goes below zero.

Random sequences of receipts, transfers (received at once, later or partly),
kit assemblies, dispensing and adjustments run over three locations; an
entry the ledger refuses must leave no trace.
"""

import datetime

from django.db import transaction
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from outpost.catalogue.models import Item, Kit
from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, make_org, make_site, make_staff
from outpost.inventory.actions import (
    adjust_stock,
    assemble_kits,
    dispense_stock,
    receive_stock,
    store_of,
)
from outpost.inventory.models import (
    Location,
    StockBalance,
    StockMovement,
    Transfer,
    TransferLine,
)
from outpost.inventory.transfers import receive_transfer, send_transfer
from outpost.orgs.models import User

LOTS = {"": None, "A": datetime.date(2027, 1, 1), "B": datetime.date(2028, 1, 1)}

place = st.integers(min_value=0, max_value=2)
item = st.integers(min_value=0, max_value=1)
lot = st.sampled_from(sorted(LOTS))
quantity = st.integers(min_value=-1, max_value=25)
operation = st.one_of(
    st.tuples(st.just("receive"), place, item, lot, quantity),
    st.tuples(st.just("dispense"), place, item, quantity),
    st.tuples(st.just("send"), place, place, item, quantity, st.booleans()),
    st.tuples(st.just("receive_transfer"), st.integers(min_value=0, max_value=3)),
    st.tuples(st.just("assemble"), place, quantity),
    st.tuples(st.just("adjust"), place, item, lot, quantity, st.booleans()),
)


class LedgerPropertyTests(TestCase):
    worker: User
    places: list[Location]
    items: list[Item]
    kit: Kit

    def build(self) -> None:
        """A fresh organisation per example: each one runs in its own transaction."""
        org = make_org("ledger")
        site = make_site(org)
        self.worker = make_staff(org, "keeper", Role.MANAGER, site)
        self.places = [
            store_of(site),
            Location.objects.create(org=org, name="Bus", kind=Location.Kind.MOBILE_UNIT),
            Location.objects.create(org=org, name="Bag", kind=Location.Kind.COURIER_BAG),
        ]
        self.items = [
            Item.objects.get(org=org, name="Condom"),
            Item.objects.get(org=org, name="Lubricant sachet"),
        ]
        self.kit = Kit.objects.get(org=org, name="Safer sex kit")
        for where in self.places:
            for thing in self.items:
                receive_stock(
                    location=where, item=thing, quantity=30, worker=self.worker, occurred_on=TODAY
                )

    @settings(max_examples=60, deadline=None)
    @given(st.lists(operation, max_size=40))
    def test_balances_equal_the_sum_of_movements(self, operations: list[tuple]) -> None:  # type: ignore[type-arg]
        self.build()
        for step in operations:
            try:
                with transaction.atomic():
                    self.run_step(step)
            except DomainError:
                pass
        self.assert_ledger_holds()

    def run_step(self, step: tuple) -> None:  # type: ignore[type-arg]
        kind, *args = step
        if kind == "receive":
            where, which, lot_name, count = args
            receive_stock(
                location=self.places[where],
                item=self.items[which],
                quantity=count,
                lot=lot_name,
                expires_on=LOTS[lot_name],
                worker=self.worker,
                occurred_on=TODAY,
            )
        elif kind == "dispense":
            where, which, count = args
            dispense_stock(
                location=self.places[where],
                lines=[(self.items[which], count)],
                worker=self.worker,
                occurred_on=TODAY,
            )
        elif kind == "send":
            source, destination, which, count, now = args
            send_transfer(
                source=self.places[source],
                destination=self.places[destination],
                lines=[(self.items[which], count)],
                received_now=now,
                worker=self.worker,
                occurred_on=TODAY,
            )
        elif kind == "receive_transfer":
            (shortfall,) = args
            transfer = Transfer.objects.filter(status=Transfer.Status.IN_TRANSIT).first()
            if transfer is not None:
                arrived = {line.pk: max(line.sent - shortfall, 0) for line in transfer.lines.all()}
                receive_transfer(
                    transfer=transfer, received=arrived, worker=self.worker, occurred_on=TODAY
                )
        elif kind == "assemble":
            where, count = args
            assemble_kits(
                location=self.places[where],
                kit=self.kit,
                count=count,
                worker=self.worker,
                occurred_on=TODAY,
            )
        else:
            where, which, lot_name, count, found = args
            adjust_stock(
                location=self.places[where],
                item=self.items[which],
                lot=lot_name,
                quantity=count if found else -count,
                reason="found" if found else "loss",
                expires_on=LOTS[lot_name] if found else None,
                worker=self.worker,
                occurred_on=TODAY,
            )

    def assert_ledger_holds(self) -> None:
        for balance in StockBalance.objects.all():
            ledger = StockMovement.objects.filter(
                location=balance.location_id, item=balance.item_id, lot=balance.lot
            ).aggregate(total=Sum("quantity"))["total"]
            self.assertEqual(balance.quantity, ledger or 0)
            self.assertGreaterEqual(balance.quantity, 0)
        # What left one place is either at another, on its way, or lost on the way.
        sent = -self.total(kind=StockMovement.Kind.TRANSFER_OUT)
        arrived = self.total(kind=StockMovement.Kind.TRANSFER_IN)
        lines = TransferLine.objects.aggregate(sent=Sum("sent"), received=Sum("received"))
        self.assertEqual(sent, lines["sent"] or 0)
        self.assertEqual(arrived, lines["received"] or 0)

    def total(self, **filters: object) -> int:
        return int(StockMovement.objects.filter(**filters).aggregate(t=Sum("quantity"))["t"] or 0)
