"""Orders: the open list, placing one from the forecast, cancelling, receiving."""

import datetime

import time_machine
from django.urls import reverse

from outpost.core.tests.base import TODAY, BaseTestCase
from outpost.inventory.actions import dispense_stock, place_order, store_of
from outpost.inventory.models import StockMovement, StockOrder

NOON = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)


@time_machine.travel(NOON, tick=False)
class OrderViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.store = store_of(self.site)
        self.new_url = reverse("inventory:order_new", args=[self.store.pk])

    def test_the_form_is_filled_in_from_the_forecast(self) -> None:
        """10 syringes a day, 90 left: order up to the maximum of 740."""
        dispense_stock(
            location=self.store, lines=[(self.syringe, 10)], worker=self.worker, occurred_on=TODAY
        )
        self.client.force_login(self.manager)
        response = self.client.get(self.new_url, {"item": self.syringe.pk})
        form = response.context["form"]
        # (30 + 14) × 10 = 440 minimum, + 30 × 10 = 740 maximum, − 90.
        self.assertEqual((form.initial["item"], form.initial["quantity"]), (self.syringe.pk, 650))
        self.assertContains(response, 'value="650"')

    def test_placing_an_order_counts_it_as_on_order(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(
            self.new_url,
            {
                "item": self.syringe.pk,
                "quantity": 650,
                "supplier": "UNICEF",
                "expected_on": "2026-03-20",
            },
        )
        self.assertRedirects(response, reverse("inventory:location", args=[self.store.pk]))
        order = StockOrder.objects.get()
        self.assertEqual(
            (order.location, order.quantity, order.ordered_on, order.ordered_by),
            (self.store, 650, TODAY, self.manager),
        )
        page = self.client.get(reverse("inventory:location", args=[self.store.pk]))
        forecast = next(f for f in page.context["forecasts"] if f.item.pk == self.syringe.pk)
        self.assertEqual(forecast.on_order, 650)

    def test_bad_orders_are_refused_and_nothing_saved(self) -> None:
        foreign = self.other_org.items.get(name="Condom")
        self.client.force_login(self.manager)
        for data, message in (
            ({"quantity": 0}, "Ensure this value is greater than or equal to 1."),
            ({"item": foreign.pk}, "Select a valid choice."),
            ({"expected_on": "2026-02-01"}, "An order cannot be expected before it is placed."),
            ({"expected_on": "1999-01-01"}, "That date is not possible."),
        ):
            with self.subTest(data=data):
                response = self.client.post(
                    self.new_url, {"item": self.syringe.pk, "quantity": 5, **data}
                )
                self.assertContains(response, message, status_code=422)
        self.assertIs(StockOrder.objects.exists(), False)

    def test_lists_open_orders_of_the_organisation_only(self) -> None:
        place_order(
            location=self.store,
            item=self.condom,
            quantity=7,
            worker=self.manager,
            ordered_on=TODAY,
        )
        place_order(
            location=store_of(self.other_site),
            item=self.other_org.items.get(name="Condom"),
            quantity=99,
            worker=self.outsider,
            ordered_on=TODAY,
        )
        self.client.force_login(self.manager)
        response = self.client.get(reverse("inventory:orders"))
        self.assertEqual([order.quantity for order in response.context["orders"]], [7])

    def test_cancelling_an_order_takes_it_off_order(self) -> None:
        order = place_order(
            location=self.store,
            item=self.condom,
            quantity=7,
            worker=self.manager,
            ordered_on=TODAY,
        )
        url = reverse("inventory:order_cancel", args=[order.pk])
        self.client.force_login(self.manager)
        self.assertEqual(self.client.get(url).status_code, 405)
        response = self.client.post(url, follow=True)
        self.assertContains(response, "The order of 7 × Condom is cancelled.")
        order.refresh_from_db()
        self.assertEqual(order.status, StockOrder.Status.CANCELLED)
        response = self.client.post(url, follow=True)
        self.assertContains(response, "This order is no longer open.")

    def test_receiving_against_an_order_fills_it(self) -> None:
        order = place_order(
            location=self.store,
            item=self.condom,
            quantity=70,
            supplier="UNFPA",
            worker=self.manager,
            ordered_on=TODAY,
        )
        url = reverse("inventory:receive", args=[self.store.pk])
        self.client.force_login(self.worker)
        form = self.client.get(url, {"order": order.pk}).context["form"]
        self.assertEqual(
            (form.initial["order"], form.initial["item"], form.initial["quantity"]),
            (order.pk, self.condom.pk, 70),
        )
        response = self.client.post(
            url, {"order": order.pk, "item": self.condom.pk, "quantity": 30}
        )
        self.assertEqual(response.status_code, 302)
        order.refresh_from_db()
        self.assertEqual((order.received_quantity, order.status), (30, "open"))
        self.client.post(url, {"order": order.pk, "item": self.condom.pk, "quantity": 40})
        order.refresh_from_db()
        self.assertEqual(order.status, StockOrder.Status.RECEIVED)

    def test_receiving_another_item_against_an_order_is_refused(self) -> None:
        order = place_order(
            location=self.store,
            item=self.condom,
            quantity=70,
            worker=self.manager,
            ordered_on=TODAY,
        )
        before = StockMovement.objects.count()
        self.client.force_login(self.worker)
        response = self.client.post(
            reverse("inventory:receive", args=[self.store.pk]),
            {"order": order.pk, "item": self.syringe.pk, "quantity": 30},
        )
        self.assertContains(response, "That order is for another item or place.", status_code=422)
        self.assertEqual(StockMovement.objects.count(), before)

    def test_only_managers_order_and_outsiders_get_nothing(self) -> None:
        order = place_order(
            location=self.store,
            item=self.condom,
            quantity=7,
            worker=self.manager,
            ordered_on=TODAY,
        )
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(self.new_url).status_code, 403)
        self.assertEqual(self.client.get(reverse("inventory:orders")).status_code, 403)
        cancel = reverse("inventory:order_cancel", args=[order.pk])
        self.assertEqual(self.client.post(cancel).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(cancel).status_code, 403)
        order.refresh_from_db()
        self.assertEqual(order.status, StockOrder.Status.OPEN)
