"""Quick entry hands out from another place of the site, and from a picked lot.

Pages are read in English, so that messages compare with their source text.
"""

import datetime
import uuid

from django.urls import reverse

from outpost.contacts.models import Contact
from outpost.core.tests.base import TODAY
from outpost.inventory.actions import receive_stock
from outpost.inventory.models import Location, StockMovement
from outpost.inventory.tests.test_transfer_views import MovementViewTestCase
from outpost.inventory.transfers import send_transfer


class QuickEntryStockTests(MovementViewTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("contacts:anonymous", args=[self.site.pk])

    def entry(self, **fields: object) -> dict[str, object]:
        data: dict[str, object] = {
            "syringes_returned": 0,
            "channel": "window",
            "idempotency_key": str(uuid.uuid4()),
        }
        data.update(fields)
        return data

    def load_bus(self) -> None:
        send_transfer(
            source=self.store,
            destination=self.bus,
            lines=[(self.syringe, 30), (self.naloxone, 12)],
            worker=self.manager,
            occurred_on=TODAY,
            received_now=True,
        )

    def test_offers_no_choice_when_the_site_has_only_its_store(self) -> None:
        Location.objects.filter(pk=self.bus.pk).update(is_active=False)
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertNotContains(response, "Stock from")
        self.assertNotIn("stock_from", response.context["form"].fields)

    def test_offers_the_sites_places_with_the_store_first_by_default(self) -> None:
        """The bus and the store are offered; another site's car is not."""
        Location.objects.create(
            org=self.org, name="Kharkiv car", kind=Location.Kind.CAR, site=None
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertContains(response, "Stock from")
        field = response.context["form"]["stock_from"]
        self.assertEqual(
            [label for _, label in field.field.widget.choices], ["Sumy room", "Bus 1"]
        )
        self.assertEqual(field.initial, self.store.pk)

    def test_hands_out_from_the_bus_and_remembers_it_for_the_next_entry(self) -> None:
        self.load_bus()
        self.client.force_login(self.worker)
        self.client.post(
            self.url, self.entry(stock_from=self.bus.pk, **{f"item_{self.syringe.pk}": 4})
        )
        self.assertEqual(Contact.objects.count(), 1)
        self.assertEqual(self.on_hand(self.bus, self.syringe), 26)
        self.assertEqual(self.on_hand(self.store, self.syringe), 70)
        response = self.client.get(self.url)
        self.assertEqual(response.context["form"]["stock_from"].initial, self.bus.pk)

    def test_refuses_a_place_of_another_site(self) -> None:
        car = Location.objects.create(org=self.org, name="Other car", kind=Location.Kind.CAR)
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url, self.entry(stock_from=car.pk, **{f"item_{self.syringe.pk}": 1})
        )
        self.assertEqual(response.status_code, 422)
        self.assertFalse(Contact.objects.exists())

    def test_offers_a_lot_choice_for_items_with_several_usable_lots(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertContains(response, f'name="lot_{self.naloxone.pk}"')
        self.assertNotContains(response, f'name="lot_{self.syringe.pk}"')
        self.assertContains(response, "First to expire")
        self.assertContains(response, "N-EARLY · expires April 1, 2026 · 10 on hand")

    def test_the_lot_choices_follow_the_place_picked(self) -> None:
        """The bus got only the early lot, so it offers no lot choice."""
        send_transfer(
            source=self.store,
            destination=self.bus,
            lines=[(self.naloxone, 5, "N-EARLY")],
            worker=self.manager,
            occurred_on=TODAY,
            received_now=True,
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.url, {"stock_from": self.bus.pk})
        self.assertNotContains(response, f'name="lot_{self.naloxone.pk}"')
        self.assertEqual(response.context["form"]["stock_from"].initial, self.bus.pk)

    def test_takes_the_first_lot_to_expire_by_default(self) -> None:
        self.client.force_login(self.worker)
        self.client.post(self.url, self.entry(**{f"item_{self.naloxone.pk}": 2}))
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-EARLY"), 8)

    def test_takes_the_lot_the_worker_picked(self) -> None:
        self.client.force_login(self.worker)
        self.client.post(
            self.url,
            self.entry(**{f"item_{self.naloxone.pk}": 2, f"lot_{self.naloxone.pk}": "lot:"}),
        )
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-EARLY"), 10)
        self.assertEqual(self.on_hand(self.store, self.naloxone, ""), 98)

    def test_refuses_naloxone_from_a_place_where_it_has_expired(self) -> None:
        """The bus holds only expired naloxone: the message says so, nothing is saved."""
        receive_stock(
            location=self.bus,
            item=self.naloxone,
            quantity=3,
            lot="N-OLD",
            expires_on=datetime.date(2026, 2, 1),
            worker=self.manager,
            occurred_on=datetime.date(2026, 1, 5),
        )
        self.client.force_login(self.worker)
        before = StockMovement.objects.count()
        response = self.client.post(
            self.url, self.entry(stock_from=self.bus.pk, **{f"item_{self.naloxone.pk}": 1})
        )
        self.assertContains(
            response,
            "Not enough usable Naloxone 0.4 mg/ml ampoule: 0 on hand, 1 asked for; "
            "3 more have expired and cannot be handed out.",
            status_code=422,
        )
        self.assertFalse(Contact.objects.exists())
        self.assertEqual(StockMovement.objects.count(), before)
        # The place picked stays picked on the page that answers.
        self.assertContains(
            response, f'<option value="{self.bus.pk}" selected>Bus 1</option>', status_code=422
        )
