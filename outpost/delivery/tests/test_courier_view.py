import re

from django.urls import reverse

from outpost.contacts.models import Contact
from outpost.core.models import AuditEvent
from outpost.core.roles import ROLE_PERMS, Perm, Role
from outpost.core.tests.base import make_staff
from outpost.core.tests.test_route_policy import PATTERNS, ROUTE_POLICY
from outpost.delivery import actions
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.base import DeliveryTestCase
from outpost.delivery.tests.factories import PLACE, REACH, make_bag, make_order
from outpost.orgs.models import User

ROUTE = reverse("delivery:route")


class CourierViewTests(DeliveryTestCase):
    def given_to(self, courier: User, days_ahead: int = 0) -> DeliveryOrder:
        order = make_order(
            self.site, self.worker, self.injecting_kit, client=self.anna, days_ahead=days_ahead
        )
        actions.approve_delivery(order=order, worker=self.manager)
        return actions.assign_courier(order=order, courier=courier, worker=self.manager)

    def test_a_courier_sees_only_their_own_deliveries_of_today_without_the_address(self) -> None:
        mine = self.given_to(self.kostya)
        self.given_to(self.kostya, days_ahead=1)
        self.given_to(self.manager_with_bag())
        self.client.force_login(self.kostya)
        response = self.client.get(ROUTE)
        self.assertEqual([section for section in response.context["mine"]], [mine])
        self.assertNotContains(response, PLACE)
        self.assertNotContains(response, self.anna.code)
        self.assertContains(response, "Show address and contact")

    def manager_with_bag(self) -> User:
        make_bag(self.site, self.manager, self.injecting_kit, kits=1)
        return self.manager

    def test_the_address_appears_in_answer_to_a_post_and_the_look_is_audited(self) -> None:
        order = self.given_to(self.kostya)
        self.client.force_login(self.kostya)
        response = self.client.post(ROUTE, {"order": order.pk, "action": "reveal"})
        self.assertContains(response, PLACE)
        self.assertContains(response, REACH)
        self.assertEqual(
            AuditEvent.objects.filter(
                verb="delivery.details_revealed", actor_id=self.kostya.pk
            ).count(),
            1,
        )

    def test_marking_delivered_takes_the_kit_from_the_bag(self) -> None:
        order = self.given_to(self.kostya)
        before = self.in_bag()
        self.client.force_login(self.kostya)
        response = self.client.post(ROUTE, {"order": order.pk, "action": "delivered"}, follow=True)
        self.assertContains(response, "Delivered. Thank you.")
        self.assertEqual(self.reload(order).status, DeliveryOrder.Status.DELIVERED)
        self.assertLess(sum(self.in_bag().values()), sum(before.values()))
        self.assertEqual(Contact.objects.get().channel, "courier")

    def test_a_cancelled_order_answers_with_a_clear_message(self) -> None:
        order = self.given_to(self.kostya)
        actions.cancel_delivery(order=order, worker=self.manager)
        self.client.force_login(self.kostya)
        response = self.client.post(ROUTE, {"order": order.pk, "action": "delivered"})
        self.assertContains(
            response, "This order was cancelled: do not deliver it.", status_code=422
        )

    def test_a_courier_takes_an_approved_order_waiting_for_one(self) -> None:
        order = actions.approve_delivery(
            order=make_order(self.site, self.worker, self.injecting_kit), worker=self.manager
        )
        self.client.force_login(self.kostya)
        self.assertContains(self.client.get(ROUTE), "Take it")
        self.client.post(ROUTE, {"order": order.pk, "action": "take"})
        self.assertEqual(self.reload(order).courier, self.kostya)

    def test_another_courier_s_order_answers_404(self) -> None:
        order = self.given_to(self.kostya)
        self.client.force_login(self.lena)
        for action in ("reveal", "delivered", "failed", "out"):
            with self.subTest(action=action):
                response = self.client.post(ROUTE, {"order": order.pk, "action": action})
                self.assertEqual(response.status_code, 404)

    def test_an_outsider_s_order_id_answers_404_and_other_roles_403(self) -> None:
        order = self.given_to(self.kostya)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(ROUTE).status_code, 403)
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(ROUTE).status_code, 403)
        foreign = make_staff(self.other_org, "foreign-courier", Role.COURIER, self.other_site)
        self.client.force_login(foreign)
        response = self.client.post(ROUTE, {"order": order.pk, "action": "reveal"})
        self.assertEqual(response.status_code, 404)

    def test_the_page_costs_the_same_with_one_delivery_or_many(self) -> None:
        self.client.force_login(self.kostya)
        self.given_to(self.kostya)
        self.waiting()
        with self.assertNumQueries(self.QUERIES):
            self.client.get(ROUTE)
        for _ in range(4):
            self.given_to(self.kostya)
            self.waiting()
        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(ROUTE)
        self.assertEqual(len(response.context["mine"]), 5)
        self.assertContains(response, "Take it", count=5)

    def waiting(self) -> DeliveryOrder:
        order = make_order(self.site, self.worker, self.injecting_kit)
        return actions.approve_delivery(order=order, worker=self.manager)

    QUERIES = 15


class CourierPersonaTests(DeliveryTestCase):
    """A courier reaches nothing but their own deliveries."""

    def test_every_page_but_the_courier_s_own_answers_403_or_404(self) -> None:
        self.client.force_login(self.kostya)
        self.assertRedirects(self.client.get("/"), ROUTE, fetch_redirect_response=False)
        allowed = {
            name
            for name, policy in ROUTE_POLICY.items()
            if not isinstance(policy, Perm) or policy in ROLE_PERMS[Role.COURIER]
        }
        self.assertEqual(
            {name for name in allowed if isinstance(ROUTE_POLICY[name], Perm)}, {"delivery:route"}
        )
        for name, pattern in PATTERNS.items():
            if name in allowed:
                continue
            url = "/" + self.fill(pattern)
            with self.subTest(route=name):
                # The role is refused before any record is looked up, so
                # an id that names nothing cannot hide an open route.
                self.assertIn(self.client.get(url).status_code, {403, 405})

    def fill(self, pattern: str) -> str:
        return re.sub(r"<(\w+):\w+>", lambda m: "x" if m.group(1) == "slug" else "1", pattern)
