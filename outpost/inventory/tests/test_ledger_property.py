"""SPEC §5: every balance equals the sum of its movements and never goes below zero."""

from django.db import transaction
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, make_org, make_site, make_staff
from outpost.inventory.actions import dispense_stock, receive_stock, store_of
from outpost.inventory.models import StockBalance, StockMovement

operation = st.tuples(
    st.sampled_from(["receive", "dispense"]),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=-3, max_value=60),
)


class LedgerPropertyTests(TestCase):
    @settings(max_examples=40, deadline=None)
    @given(st.lists(operation, max_size=25))
    def test_balances_equal_the_sum_of_movements(
        self, operations: list[tuple[str, int, int]]
    ) -> None:
        org = make_org("ledger")
        site = make_site(org)
        worker = make_staff(org, "keeper", Role.MANAGER, site)
        location = store_of(site)
        items = list(org.items.filter(category__needs_expiry=False).order_by("pk")[:3])
        for kind, index, quantity in operations:
            try:
                with transaction.atomic():
                    if kind == "receive":
                        receive_stock(
                            location=location,
                            item=items[index],
                            quantity=quantity,
                            worker=worker,
                            occurred_on=TODAY,
                        )
                    else:
                        dispense_stock(
                            location=location,
                            lines=[(items[index], quantity)],
                            worker=worker,
                            occurred_on=TODAY,
                        )
            except DomainError:
                pass
        for balance in StockBalance.objects.filter(location=location):
            ledger = StockMovement.objects.filter(
                location=location, item=balance.item, lot=balance.lot
            ).aggregate(total=Sum("quantity"))["total"]
            self.assertEqual(balance.quantity, ledger or 0)
            self.assertGreaterEqual(balance.quantity, 0)
