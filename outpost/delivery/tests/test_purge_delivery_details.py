import datetime
import io

import time_machine
from django.core.management import call_command
from django.test import override_settings

from outpost.delivery import actions
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.base import DeliveryTestCase
from outpost.delivery.tests.factories import make_order

DAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def days_later(days: int) -> datetime.datetime:
    return DAY + datetime.timedelta(days=days)


@override_settings(DELIVERY_ADDRESS_RETENTION_DAYS=7)
class PurgeDeliveryDetailsTests(DeliveryTestCase):
    def kept(self, order: DeliveryOrder) -> bool:
        return self.reload(order).place is not None

    def test_details_survive_seven_days_after_the_order_closes_and_not_one_more(self) -> None:
        with time_machine.travel(DAY, tick=False):
            order = make_order(self.site, self.worker, self.injecting_kit, days_ahead=1)
            actions.cancel_delivery(order=order, worker=self.manager)
        with time_machine.travel(days_later(7), tick=False):
            self.assertEqual(actions.purge_delivery_details(today=datetime.date(2026, 3, 9)), 0)
        self.assertTrue(self.kept(order))
        with time_machine.travel(days_later(8), tick=False):
            call_command("purge_expired", stdout=io.StringIO())
        purged = self.reload(order)
        self.assertEqual((purged.place, purged.reach), (None, None))
        self.assertEqual(purged.details_purged_on, datetime.date(2026, 3, 10))

    def test_an_order_never_closed_loses_its_details_seven_days_after_its_day(self) -> None:
        with time_machine.travel(DAY, tick=False):
            order = make_order(self.site, self.worker, self.injecting_kit, days_ahead=2)
        self.assertEqual(actions.purge_delivery_details(today=datetime.date(2026, 3, 11)), 0)
        self.assertEqual(actions.purge_delivery_details(today=datetime.date(2026, 3, 12)), 1)
        self.assertFalse(self.kept(order))

    def test_no_address_survives_its_limit_whatever_the_order_became(self) -> None:
        orders = []
        with time_machine.travel(DAY, tick=False):
            for _ in range(4):
                order = make_order(self.site, self.worker, self.injecting_kit)
                actions.approve_delivery(order=order, worker=self.manager)
                orders.append(order)
            actions.assign_courier(order=orders[0], courier=self.kostya, worker=self.manager)
            actions.mark_delivered(order=orders[0], courier=self.kostya)
            actions.assign_courier(order=orders[1], courier=self.kostya, worker=self.manager)
            actions.mark_failed(order=orders[1], courier=self.kostya, reason="refused")
            actions.cancel_delivery(order=orders[2], worker=self.manager)
        with time_machine.travel(days_later(30), tick=False):
            fresh = make_order(self.site, self.worker, self.injecting_kit)
            call_command("purge_expired", stdout=io.StringIO())
        self.assertEqual([self.kept(order) for order in orders], [False] * 4)
        self.assertTrue(self.kept(fresh))
