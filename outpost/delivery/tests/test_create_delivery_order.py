import datetime
import uuid

import time_machine
from django.db import connection

from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import make_client
from outpost.delivery.actions import OrderRequest, Window, create_delivery_order
from outpost.delivery.models import DeliveryLine, DeliveryOrder
from outpost.delivery.tests.base import DeliveryTestCase
from outpost.delivery.tests.factories import PLACE, REACH, window
from outpost.testing.models import ArtCourse
from outpost.testing.tests.factories import make_art_course

# 09:00 in Kyiv on the day the tests pretend it is.
MORNING = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)


class CreateDeliveryOrderTests(DeliveryTestCase):
    def request(self, **changes: object) -> OrderRequest:
        fields: dict[str, object] = {
            "window": window(self.site),
            "place_kind": DeliveryOrder.PlaceKind.MEETING_POINT,
            "place": PLACE,
            "reach": REACH,
            "kits": [(self.injecting_kit, 2)],
        }
        fields.update(changes)
        return OrderRequest(**fields)  # type: ignore[arg-type]  # test shorthand

    def refused(self, message: str, **changes: object) -> None:
        with self.assertRaisesMessage(DomainError, message):
            create_delivery_order(
                site=self.site, worker=self.worker, request=self.request(**changes)
            )
        self.assertFalse(DeliveryOrder.objects.exists())
        self.assertFalse(DeliveryLine.objects.exists())

    def test_an_order_waits_for_approval_with_its_lines_and_an_audit_entry(self) -> None:
        order = create_delivery_order(
            site=self.site, worker=self.worker, request=self.request(client=self.anna)
        )
        self.assertEqual(order.status, DeliveryOrder.Status.REQUESTED)
        self.assertEqual(order.client, self.anna)
        self.assertEqual(
            [(line.kit_id, line.quantity) for line in order.lines.all()],
            [(self.injecting_kit.pk, 2)],
        )
        self.assertTrue(
            AuditEvent.objects.filter(verb="delivery.requested", target_id=order.pk).exists()
        )

    def test_the_address_and_the_way_to_reach_the_person_are_stored_only_as_ciphertext(
        self,
    ) -> None:
        order = create_delivery_order(site=self.site, worker=self.worker, request=self.request())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT place, reach FROM delivery_deliveryorder WHERE id = %s", [order.pk]
            )
            place, reach = cursor.fetchone()
        self.assertNotIn(b"Kanareikina", bytes(place))
        self.assertNotIn(b"0777", bytes(reach))

    def test_the_bot_may_take_an_order_without_a_staff_member(self) -> None:
        order = create_delivery_order(
            site=self.site, worker=None, request=self.request(requested_via="online")
        )
        self.assertIsNone(order.created_by)
        self.assertEqual(order.requested_via, "online")

    def test_a_retried_form_takes_the_order_once(self) -> None:
        key = uuid.uuid4()
        first = create_delivery_order(
            site=self.site, worker=self.worker, request=self.request(), idempotency_key=key
        )
        again = create_delivery_order(
            site=self.site, worker=self.worker, request=self.request(), idempotency_key=key
        )
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(DeliveryOrder.objects.count(), 1)

    def test_a_due_art_supply_becomes_an_order_for_its_client(self) -> None:
        course = make_art_course(self.site, self.anna, self.worker, self.site.local_today())
        order = create_delivery_order(
            site=self.site,
            worker=self.worker,
            request=self.request(kits=[], art_course=course, art_days=30),
        )
        self.assertEqual((order.client, order.art_days), (self.anna, 30))

    def test_an_art_supply_needs_its_days(self) -> None:
        course = make_art_course(self.site, self.anna, self.worker, self.site.local_today())
        self.refused("Days of ART supplied must be between 1 and 180.", kits=[], art_course=course)
        self.assertTrue(ArtCourse.objects.exists())

    def test_a_window_that_ends_before_it_starts_is_refused(self) -> None:
        day = self.site.local_today() + datetime.timedelta(days=1)
        self.refused(
            "The time window must end after it starts.",
            window=Window(day, datetime.time(18), datetime.time(12)),
        )

    @time_machine.travel(MORNING, tick=False)
    def test_a_window_that_has_passed_is_refused(self) -> None:
        for passed in [
            Window(datetime.date(2026, 3, 1), datetime.time(12), datetime.time(18)),
            Window(datetime.date(2026, 3, 2), datetime.time(7), datetime.time(8, 30)),
        ]:
            with self.subTest(window=passed):
                self.refused("This time window has already passed.", window=passed)

    @time_machine.travel(MORNING, tick=False)
    def test_a_window_later_today_is_taken(self) -> None:
        later = Window(datetime.date(2026, 3, 2), datetime.time(7), datetime.time(9, 30))
        order = create_delivery_order(
            site=self.site, worker=self.worker, request=self.request(window=later)
        )
        self.assertEqual(order.window_date, datetime.date(2026, 3, 2))

    def test_an_order_of_nothing_is_refused(self) -> None:
        self.refused("Say what to deliver.", kits=[])

    def test_an_order_without_a_place_or_a_way_to_reach_is_refused(self) -> None:
        self.refused("Say where the courier should go.", place="  ")
        self.refused("Say how the courier can reach the person.", reach="")

    def test_another_organisations_client_is_refused(self) -> None:
        stranger = make_client(self.other_org, self.outsider, mother="Iryna")
        self.refused("That client is not known here.", client=stranger)

    def test_a_quantity_out_of_range_is_refused(self) -> None:
        self.refused("Each quantity must be between 1 and 1000.", kits=[(self.injecting_kit, 0)])
