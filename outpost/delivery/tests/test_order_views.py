import uuid

from django.urls import reverse

from outpost.core.roles import Role
from outpost.core.tests.base import make_staff
from outpost.delivery import actions
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.base import DeliveryTestCase
from outpost.delivery.tests.factories import PLACE, REACH, make_order
from outpost.testing.tests.factories import make_art_course


class OrderViewTests(DeliveryTestCase):
    def form(self, **changes: object) -> dict[str, object]:
        data: dict[str, object] = {
            f"kit_{self.injecting_kit.pk}": 2,
            "client_code": self.anna.code.lower(),
            "place_kind": "meeting_point",
            "place": PLACE,
            "reach": REACH,
            "window_date": self.site.local_today().isoformat(),
            "window_starts": "00:00",
            "window_ends": "23:59",
            "requested_via": "messenger",
            "idempotency_key": str(uuid.uuid4()),
        }
        data.update(changes)
        return data

    def test_taking_an_order_by_phone_saves_it_for_approval(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            reverse("delivery:order_new", args=[self.site.pk]), self.form()
        )
        order = DeliveryOrder.objects.get()
        self.assertRedirects(response, reverse("delivery:order", args=[order.pk]))
        self.assertEqual((order.client, order.requested_via), (self.anna, "messenger"))
        page = self.client.get(reverse("delivery:order", args=[order.pk]))
        self.assertContains(page, "Requested")
        self.assertNotContains(page, PLACE)

    def test_bad_input_gets_a_message_and_saves_nothing(self) -> None:
        self.client.force_login(self.worker)
        url = reverse("delivery:order_new", args=[self.site.pk])
        for changes, message in [
            ({"window_starts": "18:00", "window_ends": "12:00"}, "must end after it starts"),
            ({"window_date": "2020-01-01"}, "already passed"),
            ({"client_code": "ZZZZ101011990"}, "No client has the code ZZZZ101011990"),
            ({"client_code": "Z1"}, "A code has 13 characters"),
            ({f"kit_{self.injecting_kit.pk}": ""}, "Say what to deliver."),
        ]:
            with self.subTest(changes=changes):
                response = self.client.post(url, self.form(**changes))
                self.assertContains(response, message, status_code=422)
        self.assertFalse(DeliveryOrder.objects.exists())

    def test_a_due_art_supply_opens_the_form_for_its_client(self) -> None:
        course = make_art_course(self.site, self.anna, self.worker, self.site.local_today())
        case_manager = make_staff(self.org, "case", Role.CASE_MANAGER, self.site)
        self.client.force_login(case_manager)
        url = reverse("delivery:order_new", args=[self.site.pk]) + f"?art={course.pk}"
        self.assertContains(self.client.get(url), self.anna.code)
        self.client.post(url, self.form(art_days=30, **{f"kit_{self.injecting_kit.pk}": ""}))
        self.assertEqual(DeliveryOrder.objects.get().art_course, course)
        self.client.force_login(self.worker)  # takes orders, but not ART
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_the_dispatcher_approves_assigns_and_cancels(self) -> None:
        order = make_order(self.site, self.worker, self.injecting_kit)
        url = reverse("delivery:order", args=[order.pk])
        self.client.force_login(self.manager)
        self.client.post(url, {"action": "approve"})
        self.client.post(url, {"action": "assign", "courier": self.kostya.pk})
        self.assertEqual(self.reload(order).courier, self.kostya)
        self.client.post(url, {"action": "cancel"})
        self.assertEqual(self.reload(order).status, DeliveryOrder.Status.CANCELLED)

    def test_assigning_to_a_courier_with_no_stock_says_so(self) -> None:
        order = actions.approve_delivery(
            order=make_order(self.site, self.worker, self.injecting_kit), worker=self.manager
        )
        self.client.force_login(self.manager)
        response = self.client.post(
            reverse("delivery:order", args=[order.pk]),
            {"action": "assign", "courier": self.lena.pk},
        )
        self.assertContains(response, "The bag of lena holds 0", status_code=422)
        self.assertIsNone(self.reload(order).courier)

    def test_the_address_is_shown_only_to_roles_that_see_contact_details(self) -> None:
        order = make_order(self.site, self.worker, self.injecting_kit)
        url = reverse("delivery:order", args=[order.pk])
        self.client.force_login(self.worker)
        self.assertNotContains(self.client.get(url), "Show address")
        self.assertEqual(self.client.post(url, {"action": "reveal"}).status_code, 403)
        self.client.force_login(self.manager)
        self.assertContains(self.client.post(url, {"action": "reveal"}), PLACE)

    def test_outsiders_get_404_and_couriers_403(self) -> None:
        order = make_order(self.site, self.worker, self.injecting_kit)
        self.client.force_login(self.outsider)
        for url in [
            reverse("delivery:order", args=[order.pk]),
            reverse("delivery:orders", args=[self.site.pk]),
            reverse("delivery:order_new", args=[self.site.pk]),
        ]:
            with self.subTest(url=url):
                self.client.force_login(self.outsider)
                self.assertEqual(self.client.get(url).status_code, 404)
                self.client.force_login(self.kostya)
                self.assertEqual(self.client.get(url).status_code, 403)

    def test_the_list_costs_the_same_with_few_or_many_orders(self) -> None:
        self.client.force_login(self.manager)
        url = reverse("delivery:orders", args=[self.site.pk])
        make_order(self.site, self.worker, self.injecting_kit, client=self.anna)
        with self.assertNumQueries(self.QUERIES):
            self.client.get(url)
        for _ in range(3):
            order = make_order(self.site, self.worker, self.injecting_kit, client=self.anna)
            actions.approve_delivery(order=order, worker=self.manager)
            actions.assign_courier(order=order, courier=self.kostya, worker=self.manager)
        make_order(self.site, self.worker, self.injecting_kit)
        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(url)
        self.assertEqual(len(response.context["orders"]), 5)
        self.assertContains(response, "kostya", count=3)
        self.assertContains(response, self.anna.code, count=4)

    def test_a_day_that_does_not_exist_shows_today(self) -> None:
        self.client.force_login(self.manager)
        url = reverse("delivery:orders", args=[self.site.pk])
        for day in ("2026-02-30", "soon"):
            with self.subTest(day=day):
                response = self.client.get(url, {"day": day})
                self.assertEqual(response.context["day"], self.site.local_today())

    def test_a_client_code_typed_in_cyrillic_with_spaces_finds_the_client(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.anna.code[:4], "OLVA")
        self.client.post(
            reverse("delivery:order_new", args=[self.site.pk]),
            self.form(client_code=f"олва {self.anna.code[4:]}"),
        )
        self.assertEqual(DeliveryOrder.objects.get().client, self.anna)

    QUERIES = 10
