"""Every step of an order, on whichever database the suite runs on."""

import datetime
from collections.abc import Callable

from outpost.catalogue.models import Item
from outpost.contacts.models import Contact
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import make_staff
from outpost.delivery import actions
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.base import DeliveryTestCase
from outpost.delivery.tests.factories import PLACE, REACH, make_bag, make_order, window
from outpost.inventory.actions import receive_stock, store_of
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import Location, StockMovement
from outpost.inventory.transfers import send_transfer
from outpost.testing.models import ArtCourse, ArtDelivery
from outpost.testing.tests.factories import make_art_course

Status = DeliveryOrder.Status
# What a refused step is called, how to reach the order it starts from, the
# step itself, and what the refusal says.
Step = tuple[str, Callable[[], DeliveryOrder], Callable[[DeliveryOrder], object], str]


class StatusChangeTests(DeliveryTestCase):
    def order(self, count: int = 1) -> DeliveryOrder:
        return make_order(
            self.site, self.worker, self.injecting_kit, count=count, client=self.anna
        )

    def approved(self, count: int = 1) -> DeliveryOrder:
        return actions.approve_delivery(order=self.order(count), worker=self.manager)

    def with_kostya(self, count: int = 1) -> DeliveryOrder:
        return actions.assign_courier(
            order=self.approved(count), courier=self.kostya, worker=self.manager
        )

    def test_approving_moves_a_requested_order_on_once(self) -> None:
        order = self.approved()
        self.assertEqual(self.reload(order).status, Status.APPROVED)
        with self.assertRaisesMessage(
            DomainError, "This order is “Approved”; that step cannot be taken now."
        ):
            actions.approve_delivery(order=order, worker=self.manager)

    def test_an_order_cannot_be_given_to_a_courier_before_approval(self) -> None:
        with self.assertRaisesMessage(DomainError, "This order is “Requested”"):
            actions.assign_courier(order=self.order(), courier=self.kostya, worker=self.manager)

    def test_assigning_gives_the_order_to_the_courier_at_the_end_of_their_route(self) -> None:
        first = self.with_kostya()
        second = self.with_kostya()
        self.assertEqual((first.courier, first.status), (self.kostya, Status.ASSIGNED))
        self.assertEqual([first.route_position, second.route_position], [0, 1])

    def test_a_courier_with_an_empty_bag_is_refused_and_nothing_changes(self) -> None:
        order = self.approved()
        with self.assertRaisesMessage(DomainError, "The bag of lena holds 0 of"):
            actions.assign_courier(order=order, courier=self.lena, worker=self.manager)
        self.assertEqual(self.reload(order).status, Status.APPROVED)
        self.assertIsNone(self.reload(order).courier)

    def test_a_courier_without_a_bag_is_refused(self) -> None:
        walker = make_staff(self.org, "walker", Role.COURIER, self.site)
        with self.assertRaisesMessage(DomainError, "walker has no courier bag."):
            actions.assign_courier(order=self.approved(), courier=walker, worker=self.manager)

    def test_the_bag_must_hold_this_order_and_the_courier_s_other_open_ones(self) -> None:
        self.with_kostya(count=3)
        with self.assertRaisesMessage(DomainError, "Load the bag first."):
            actions.assign_courier(
                order=self.approved(3), courier=self.kostya, worker=self.manager
            )

    def test_staff_who_do_not_deliver_cannot_be_given_an_order(self) -> None:
        with self.assertRaisesMessage(DomainError, "worker does not deliver"):
            actions.assign_courier(order=self.approved(), courier=self.worker, worker=self.manager)

    def test_an_order_a_courier_took_cannot_be_taken_again_but_may_be_reassigned(self) -> None:
        order = self.with_kostya()
        with self.assertRaisesMessage(DomainError, "kostya has already taken this delivery."):
            actions.assign_courier(order=order, courier=self.manager, worker=self.manager)
        # The manager also delivers, with a bag of her own.
        make_bag(self.site, self.manager, self.injecting_kit, kits=1)
        moved = actions.assign_courier(
            order=order, courier=self.manager, worker=self.manager, reassign=True
        )
        self.assertEqual(moved.courier, self.manager)

    def test_the_courier_sets_off(self) -> None:
        order = actions.mark_out(order=self.with_kostya(), courier=self.kostya)
        self.assertEqual(self.reload(order).status, Status.OUT)

    def test_delivering_dispenses_from_the_bag_and_records_a_courier_contact(self) -> None:
        order = actions.mark_out(order=self.with_kostya(), courier=self.kostya)
        before = self.in_bag()
        delivered = actions.mark_delivered(order=order, courier=self.kostya)
        self.assertEqual(delivered.status, Status.DELIVERED)
        self.assertIsNotNone(delivered.closed_at)
        contact = delivered.contact
        assert contact is not None
        self.assertEqual(
            (contact.channel, contact.client, contact.worker),
            (Channel.COURIER, self.anna, self.kostya),
        )
        moved = StockMovement.objects.filter(contact=contact)
        self.assertEqual({m.location_id for m in moved}, {self.bag.pk})
        after = self.in_bag()
        for part in self.injecting_kit.components.all():
            self.assertEqual(before[part.item_id] - after.get(part.item_id, 0), part.quantity)

    def test_delivering_again_changes_nothing(self) -> None:
        order = actions.mark_delivered(order=self.with_kostya(), courier=self.kostya)
        again = actions.mark_delivered(order=order, courier=self.kostya)
        self.assertEqual(again.contact_id, order.contact_id)
        self.assertEqual(Contact.objects.count(), 1)

    def test_a_cancelled_order_cannot_be_delivered(self) -> None:
        order = actions.cancel_delivery(order=self.with_kostya(), worker=self.manager)
        before = self.in_bag()
        with self.assertRaisesMessage(DomainError, "This order was cancelled: do not deliver it."):
            actions.mark_delivered(order=order, courier=self.kostya)
        self.assertEqual(self.in_bag(), before)
        self.assertFalse(Contact.objects.exists())

    def test_a_bag_emptied_after_assignment_refuses_delivery_and_saves_nothing(self) -> None:
        order = actions.mark_out(order=self.with_kostya(count=2), courier=self.kostya)
        before = self.in_bag()
        send_transfer(
            source=self.bag,
            destination=store_of(self.site),
            lines=[(item, before[item.pk] - 1) for item in self.kit_parts()],
            worker=self.manager,
            occurred_on=self.site.local_today(),
            received_now=True,
        )
        emptied = self.in_bag()
        with self.assertRaisesMessage(OutOfStock, "Not enough"):
            actions.mark_delivered(order=order, courier=self.kostya)
        self.assertEqual(self.reload(order).status, Status.OUT)
        self.assertIsNone(self.reload(order).contact_id)
        self.assertEqual(self.in_bag(), emptied)
        self.assertFalse(Contact.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(verb="delivery.delivered").exists())

    def test_an_art_course_stopped_before_delivery_leaves_the_bag_and_the_order_as_they_were(
        self,
    ) -> None:
        today = self.site.local_today()
        course = make_art_course(self.site, self.anna, self.worker, today, next_due_on=today)
        order = actions.create_delivery_order(
            site=self.site,
            worker=self.worker,
            request=actions.OrderRequest(
                window=window(self.site),
                place_kind="address",
                place=PLACE,
                reach=REACH,
                kits=[(self.injecting_kit, 1)],
                art_course=course,
                art_days=30,
            ),
        )
        actions.approve_delivery(order=order, worker=self.manager)
        actions.assign_courier(order=order, courier=self.kostya, worker=self.manager)
        ArtCourse.objects.filter(pk=course.pk).update(stopped_on=today)
        before = self.in_bag()
        with self.assertRaisesMessage(DomainError, "not on the list of clients on ART"):
            actions.mark_delivered(order=order, courier=self.kostya)
        self.assertEqual(self.in_bag(), before)
        self.assertFalse(Contact.objects.exists())
        self.assertFalse(ArtDelivery.objects.exists())
        self.assertEqual(self.reload(order).status, Status.ASSIGNED)

    def fill_bag(self) -> None:
        for item in self.kit_parts():
            receive_stock(
                location=self.bag,
                item=item,
                quantity=1000,
                worker=self.manager,
                occurred_on=self.site.local_today(),
            )

    def kit_parts(self) -> list[Item]:
        return [part.item for part in self.injecting_kit.components.all()]

    def test_a_bag_taken_out_of_use_is_never_replaced_by_the_store(self) -> None:
        order = self.with_kostya()
        Location.objects.filter(pk=self.bag.pk).update(is_active=False)
        with self.assertRaisesMessage(DomainError, "kostya has no courier bag."):
            actions.mark_delivered(order=order, courier=self.kostya)
        self.assertFalse(Contact.objects.exists())

    def test_only_the_courier_of_an_order_delivers_it(self) -> None:
        with self.assertRaisesMessage(DomainError, "This delivery is not yours."):
            actions.mark_delivered(order=self.with_kostya(), courier=self.lena)

    def test_delivering_an_art_supply_records_it_and_moves_the_next_due_date(self) -> None:
        today = self.site.local_today()
        course = make_art_course(self.site, self.anna, self.worker, today, next_due_on=today)
        order = actions.create_delivery_order(
            site=self.site,
            worker=self.worker,
            request=actions.OrderRequest(
                window=window(self.site),
                place_kind="address",
                place=PLACE,
                reach=REACH,
                art_course=course,
                art_days=60,
            ),
        )
        actions.approve_delivery(order=order, worker=self.manager)
        actions.assign_courier(order=order, courier=self.lena, worker=self.manager)
        delivered = actions.mark_delivered(order=order, courier=self.lena)
        supply = ArtDelivery.objects.get(course=course)
        self.assertEqual((supply.contact_id, supply.days_supplied), (delivered.contact_id, 60))
        course.refresh_from_db()
        self.assertEqual(course.next_due_on, today + datetime.timedelta(days=60))

    def test_a_failed_delivery_keeps_its_reason_and_a_new_attempt_is_approved(self) -> None:
        order = actions.mark_failed(
            order=self.with_kostya(), courier=self.kostya, reason="not_there"
        )
        self.assertEqual((order.status, order.failure_reason), (Status.FAILED, "not_there"))
        attempt = actions.retry_delivery(
            order=order, worker=self.manager, window=window(self.site, days_ahead=1)
        )
        self.assertEqual((attempt.status, attempt.attempt_of), (Status.APPROVED, order))
        self.assertEqual(
            actions.reveal_delivery_details(
                order=attempt, worker=self.manager, as_dispatcher=True
            ),
            actions.RevealedDetails(PLACE, REACH),
        )
        self.assertEqual(attempt.lines.get().quantity, 1)
        with self.assertRaisesMessage(
            DomainError, "A new attempt of this order was already made."
        ):
            actions.retry_delivery(order=order, worker=self.manager, window=window(self.site))

    def test_a_failure_needs_a_known_reason(self) -> None:
        with self.assertRaisesMessage(DomainError, "Choose why the delivery failed."):
            actions.mark_failed(order=self.with_kostya(), courier=self.kostya, reason="tired")

    def test_an_order_whose_address_was_removed_cannot_be_tried_again(self) -> None:
        order = actions.mark_failed(order=self.with_kostya(), courier=self.kostya, reason="other")
        DeliveryOrder.objects.filter(pk=order.pk).update(place=None, reach=None)
        with self.assertRaisesMessage(DomainError, "no longer kept; take a new order."):
            actions.retry_delivery(order=order, worker=self.manager, window=window(self.site))

    def test_a_closed_order_cannot_be_cancelled(self) -> None:
        order = actions.mark_delivered(order=self.with_kostya(), courier=self.kostya)
        with self.assertRaisesMessage(DomainError, "This order is “Delivered”"):
            actions.cancel_delivery(order=order, worker=self.manager)

    def test_every_step_that_does_not_follow_from_the_status_is_refused_and_changes_nothing(
        self,
    ) -> None:
        def delivered() -> DeliveryOrder:
            return actions.mark_delivered(order=self.with_kostya(), courier=self.kostya)

        def failed() -> DeliveryOrder:
            return actions.mark_failed(
                order=self.with_kostya(), courier=self.kostya, reason="other"
            )

        def cancelled() -> DeliveryOrder:
            return actions.cancel_delivery(order=self.approved(), worker=self.manager)

        def out() -> DeliveryOrder:
            return actions.mark_out(order=self.with_kostya(), courier=self.kostya)

        self.fill_bag()
        kostya, manager = self.kostya, self.manager
        later = window(self.site, days_ahead=1)
        steps: list[Step] = [
            (
                "approve twice",
                self.approved,
                lambda o: actions.approve_delivery(order=o, worker=manager),
                "“Approved”",
            ),
            (
                "approve a delivered order",
                delivered,
                lambda o: actions.approve_delivery(order=o, worker=manager),
                "“Delivered”",
            ),
            (
                "assign before approval",
                self.order,
                lambda o: actions.assign_courier(order=o, courier=kostya, worker=manager),
                "“Requested”",
            ),
            (
                "assign a cancelled order",
                cancelled,
                lambda o: actions.assign_courier(order=o, courier=kostya, worker=manager),
                "“Cancelled”",
            ),
            (
                "give an order that is out to another courier",
                out,
                lambda o: actions.assign_courier(
                    order=o, courier=kostya, worker=manager, reassign=True
                ),
                "“Out for delivery”",
            ),
            (
                "set off with an order nobody took",
                self.approved,
                lambda o: actions.mark_out(order=o, courier=kostya),
                "This delivery is not yours.",
            ),
            (
                "set off twice",
                out,
                lambda o: actions.mark_out(order=o, courier=kostya),
                "“Out for delivery”",
            ),
            (
                "deliver a requested order",
                self.order,
                lambda o: actions.mark_delivered(order=o, courier=kostya),
                "This delivery is not yours.",
            ),
            (
                "deliver a failed order",
                failed,
                lambda o: actions.mark_delivered(order=o, courier=kostya),
                "“Failed”",
            ),
            (
                "fail a delivered order",
                delivered,
                lambda o: actions.mark_failed(order=o, courier=kostya, reason="other"),
                "“Delivered”",
            ),
            (
                "fail a cancelled order",
                cancelled,
                lambda o: actions.mark_failed(order=o, courier=kostya, reason="other"),
                "This order was cancelled",
            ),
            (
                "cancel twice",
                cancelled,
                lambda o: actions.cancel_delivery(order=o, worker=manager),
                "“Cancelled”",
            ),
            (
                "cancel a failed order",
                failed,
                lambda o: actions.cancel_delivery(order=o, worker=manager),
                "“Failed”",
            ),
            (
                "try a delivered order again",
                delivered,
                lambda o: actions.retry_delivery(order=o, worker=manager, window=later),
                "“Delivered”",
            ),
            (
                "try an open order again",
                out,
                lambda o: actions.retry_delivery(order=o, worker=manager, window=later),
                "“Out for delivery”",
            ),
        ]
        for name, make, step, message in steps:
            with self.subTest(step=name):
                order = make()
                status, events = self.reload(order).status, AuditEvent.objects.count()
                with self.assertRaisesMessage(DomainError, message):
                    step(order)
                self.assertEqual(self.reload(order).status, status)
                self.assertEqual(AuditEvent.objects.count(), events)

    def test_the_courier_orders_their_route(self) -> None:
        first, second, third = (self.with_kostya() for _ in range(3))
        actions.move_in_route(order=third, courier=self.kostya, step=-1)
        actions.move_in_route(order=third, courier=self.kostya, step=-1)
        route = DeliveryOrder.objects.on_the_way_with(self.kostya.pk).order_by("route_position")
        self.assertEqual(list(route), [third, first, second])

    def test_the_address_is_revealed_to_the_courier_only_while_the_delivery_is_theirs(
        self,
    ) -> None:
        order = self.with_kostya()
        with self.assertRaisesMessage(DomainError, "only while the delivery is yours"):
            actions.reveal_delivery_details(order=order, worker=self.lena)
        self.assertEqual(
            actions.reveal_delivery_details(order=order, worker=self.kostya).place, PLACE
        )
        self.assertEqual(AuditEvent.objects.filter(verb="delivery.details_revealed").count(), 1)
        delivered = actions.mark_delivered(order=order, courier=self.kostya)
        with self.assertRaisesMessage(DomainError, "only while the delivery is yours"):
            actions.reveal_delivery_details(order=delivered, worker=self.kostya)

    def test_each_step_writes_its_audit_entry(self) -> None:
        order = actions.mark_out(order=self.with_kostya(), courier=self.kostya)
        actions.mark_delivered(order=order, courier=self.kostya)
        verbs = list(
            AuditEvent.objects.filter(target_type="delivery.deliveryorder", target_id=order.pk)
            .order_by("seq")
            .values_list("verb", flat=True)
        )
        self.assertEqual(
            verbs,
            [
                "delivery.requested",
                "delivery.approved",
                "delivery.assigned",
                "delivery.out",
                "delivery.delivered",
            ],
        )
