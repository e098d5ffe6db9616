"""Packing kits, adjusting a lot by hand, and writing off expired stock.

Pages are read in English, so that messages compare with their source text.
"""

import datetime
import uuid

from django.urls import reverse

from outpost.catalogue.models import Kit
from outpost.core.tests.base import TODAY, BaseTestCase
from outpost.inventory.actions import receive_stock, store_of
from outpost.inventory.models import StockBalance, StockMovement
from outpost.inventory.tests.test_transfer_views import MovementViewTestCase


class AssembleKitsTests(MovementViewTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:assemble", args=[self.store.pk])

    def test_shows_what_each_kit_takes_and_what_is_on_hand(self) -> None:
        """The injecting kit takes 10 wipes; 100 on hand make 10 kits (syringes: 20)."""
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Injecting kit")
        self.assertContains(
            response,
            '<tr><td>Alcohol wipe</td><td class="num">10</td><td class="num">100</td></tr>',
            html=True,
        )
        rows = {row["kit"].name: row["can_pack"] for row in response.context["kits"]}
        self.assertEqual(rows["Injecting kit"], 10)
        self.assertContains(response, "Enough here for 10 kits.")

    def test_packs_kits_components_out_and_kits_in(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url, {"kit": self.injecting_kit.pk, "count": 4})
        self.assertRedirects(
            response,
            reverse("inventory:location", args=[self.store.pk]),
            fetch_redirect_response=False,
        )
        kit = Kit.objects.get(pk=self.injecting_kit.pk)
        assert kit.stock_item is not None
        self.assertEqual(self.on_hand(self.store, kit.stock_item), 4)
        self.assertEqual(self.on_hand(self.store, self.syringe), 80)

    def test_refuses_zero_kits(self) -> None:
        self.client.force_login(self.worker)
        before = StockMovement.objects.count()
        response = self.client.post(self.url, {"kit": self.injecting_kit.pk, "count": 0})
        self.assertContains(response, "A quantity must be between 1 and 100000.", status_code=422)
        self.assertEqual(StockMovement.objects.count(), before)

    def test_refuses_more_kits_than_the_components_allow(self) -> None:
        """Eleven kits need 110 wipes; nothing of the packing is booked."""
        self.client.force_login(self.worker)
        before = StockMovement.objects.count()
        response = self.client.post(self.url, {"kit": self.injecting_kit.pk, "count": 11})
        self.assertContains(
            response,
            "Not enough Alcohol wipe to pack 11 × Injecting kit: 110 needed, 100 usable on hand.",
            status_code=422,
        )
        self.assertEqual(StockMovement.objects.count(), before)
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        response = self.client.post(self.url, {"kit": self.injecting_kit.pk, "count": 1})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_an_me_officer_may_not_pack_kits(self) -> None:
        self.client.force_login(self.officer)
        self.assertEqual(self.client.get(self.url).status_code, 403)


class AdjustStockTests(MovementViewTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:adjust", args=[self.store.pk])
        self.syringes = StockBalance.objects.get(location=self.store, item=self.syringe)

    def adjustment(self, **fields: object) -> dict[str, object]:
        data: dict[str, object] = {
            "stock": self.syringes.pk,
            "direction": "remove",
            "quantity": 5,
            "reason": "loss",
            "note": "Bag stolen",
            "idempotency_key": str(uuid.uuid4()),
        }
        data.update(fields)
        return data

    def test_offers_the_lots_of_the_location_and_a_new_lot(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Syringe 2 ml · 100 on hand")
        self.assertContains(
            response, "Naloxone 0.4 mg/ml ampoule · lot N-EARLY · expires April 1, 2026"
        )
        self.assertContains(response, "A new lot (found stock)")

    def test_removes_lost_stock_with_its_reason_and_note(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(self.url, self.adjustment(), follow=True)
        self.assertContains(response, "Stock adjusted.")
        self.assertEqual(self.on_hand(self.store, self.syringe), 95)
        movement = StockMovement.objects.get(kind=StockMovement.Kind.ADJUSTMENT)
        self.assertEqual(
            (movement.quantity, movement.reason, movement.note), (-5, "loss", "Bag stolen")
        )

    def test_adds_found_stock_as_a_new_lot_with_its_expiry(self) -> None:
        self.client.force_login(self.manager)
        self.client.post(
            self.url,
            self.adjustment(
                stock="new",
                item=self.naloxone.pk,
                lot="N-FOUND",
                expires_on="2027-06-30",
                direction="add",
                quantity=6,
                reason="found",
            ),
        )
        balance = StockBalance.objects.get(location=self.store, lot="N-FOUND")
        self.assertEqual(
            (balance.item_id, balance.quantity, balance.expires_on),
            (self.naloxone.pk, 6, datetime.date(2027, 6, 30)),
        )

    def test_a_retried_post_adjusts_once(self) -> None:
        self.client.force_login(self.manager)
        data = self.adjustment()
        self.client.post(self.url, data)
        self.client.post(self.url, data)
        self.assertEqual(self.on_hand(self.store, self.syringe), 95)

    def assert_refused(self, data: dict[str, object], message: str) -> None:
        self.client.force_login(self.manager)
        before = (StockMovement.objects.count(), StockBalance.objects.count())
        response = self.client.post(self.url, data)
        self.assertContains(response, message, status_code=422)
        self.assertEqual((StockMovement.objects.count(), StockBalance.objects.count()), before)
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_refuses_an_adjustment_without_a_reason(self) -> None:
        self.assert_refused(self.adjustment(reason=""), "Choose the reason for the adjustment.")

    def test_refuses_a_zero_quantity(self) -> None:
        self.assert_refused(
            self.adjustment(quantity=0), "A quantity must be between 1 and 100000."
        )

    def test_refuses_a_negative_quantity(self) -> None:
        self.assert_refused(
            self.adjustment(quantity=-5), "A quantity must be between 1 and 100000."
        )

    def test_refuses_to_remove_more_than_the_lot_holds(self) -> None:
        self.assert_refused(
            self.adjustment(quantity=101),
            "Not enough Syringe 2 ml in stock: 100 on hand, 101 asked for.",
        )

    def test_refuses_a_found_naloxone_lot_without_expiry(self) -> None:
        self.assert_refused(
            self.adjustment(
                stock="new", item=self.naloxone.pk, lot="N-X", direction="add", reason="found"
            ),
            "Naloxone 0.4 mg/ml ampoule needs an expiry date.",
        )

    def test_refuses_found_stock_that_is_removed(self) -> None:
        self.assert_refused(self.adjustment(reason="found"), "Found stock is added.")

    def test_an_outside_manager_gets_404(self) -> None:
        self.client.force_login(self.outside_manager)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.adjustment()).status_code, 404)
        self.assertEqual(self.on_hand(self.store, self.syringe), 100)

    def test_a_social_worker_may_not_adjust(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, self.adjustment()).status_code, 403)


class WriteOffTests(MovementViewTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = reverse("inventory:write_off", args=[self.store.pk])
        receive_stock(
            location=self.store,
            item=self.naloxone,
            quantity=7,
            lot="N-OLD",
            expires_on=datetime.date(2026, 2, 1),
            worker=self.manager,
            occurred_on=datetime.date(2025, 12, 1),
        )

    def test_lists_what_will_be_written_off(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "N-OLD")
        self.assertContains(response, '<td class="num">7</td>', html=True)
        self.assertNotContains(response, "N-EARLY")

    def test_writes_off_every_expired_lot(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(self.url, follow=True)
        self.assertContains(response, "7 expired units written off.")
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-OLD"), 0)
        movement = StockMovement.objects.get(lot="N-OLD", kind=StockMovement.Kind.ADJUSTMENT)
        self.assertEqual((movement.quantity, movement.reason), (-7, "expiry"))
        self.assertEqual(movement.occurred_on, TODAY)

    def test_an_outside_manager_gets_404(self) -> None:
        self.client.force_login(self.outside_manager)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-OLD"), 7)

    def test_a_social_worker_may_not_write_off(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.client.post(self.url).status_code, 403)
        self.assertEqual(self.on_hand(self.store, self.naloxone, "N-OLD"), 7)


class RetriedAssemblyTests(BaseTestCase):
    def test_a_retried_form_packs_the_kits_once(self) -> None:
        kit = Kit.objects.get(org=self.org, name="Safer sex kit")
        self.client.force_login(self.worker)
        url = reverse("inventory:assemble", args=[store_of(self.site).pk])
        page = self.client.get(url)
        key = page.context["form"]["idempotency_key"].value()
        self.assertContains(page, f'value="{key}"')
        for _ in range(2):
            self.client.post(url, {"kit": kit.pk, "count": 2, "idempotency_key": key})
        kit.refresh_from_db()
        packed = StockBalance.objects.get(location=store_of(self.site), item=kit.stock_item)
        self.assertEqual(packed.quantity, 2)
