"""Forecast settings per item at a location: the page and its action."""

from django.urls import reverse

from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, BaseTestCase
from outpost.inventory.actions import place_order, store_of
from outpost.inventory.models import Location, StockPolicy
from outpost.inventory.policies import PolicyDays, save_stock_policies


class SaveStockPoliciesTests(BaseTestCase):
    def setUp(self) -> None:
        self.store = store_of(self.site)

    def test_creates_updates_and_deletes_in_one_go(self) -> None:
        StockPolicy.objects.create(
            location=self.store, item=self.condom, lead_time_days=1, safety_days=1, review_days=1
        )
        StockPolicy.objects.create(
            location=self.store, item=self.syringe, lead_time_days=1, safety_days=1, review_days=1
        )
        save_stock_policies(
            location=self.store,
            days={
                self.condom.pk: PolicyDays(),
                self.syringe.pk: PolicyDays(lead_time_days=60, safety_days=20, review_days=45),
            },
            worker=self.manager,
        )
        self.assertEqual(
            list(
                StockPolicy.objects.filter(location=self.store).values_list(
                    "item_id", "lead_time_days", "safety_days", "review_days"
                )
            ),
            [(self.syringe.pk, 60, 20, 45)],
        )
        self.assertEqual(AuditEvent.objects.filter(verb="stock.policies_saved").count(), 1)

    def test_an_empty_day_takes_the_locations(self) -> None:
        save_stock_policies(
            location=self.store,
            days={self.condom.pk: PolicyDays(lead_time_days=60)},
            worker=self.manager,
        )
        policy = StockPolicy.objects.get(location=self.store, item=self.condom)
        self.assertEqual(
            (policy.lead_time_days, policy.safety_days, policy.review_days),
            (60, self.store.safety_days, self.store.review_days),
        )

    def test_refuses_another_organisations_item_and_saves_nothing(self) -> None:
        foreign = self.other_org.items.get(name="Condom")
        with self.assertRaisesMessage(DomainError, "not in this organisation's catalogue"):
            save_stock_policies(
                location=self.store,
                days={
                    self.condom.pk: PolicyDays(lead_time_days=5),
                    foreign.pk: PolicyDays(lead_time_days=5),
                },
                worker=self.manager,
            )
        self.assertIs(StockPolicy.objects.exists(), False)

    def test_refuses_impossible_days_and_saves_nothing(self) -> None:
        with self.assertRaisesMessage(DomainError, "Days must be between 0 and 365."):
            save_stock_policies(
                location=self.store,
                days={
                    self.condom.pk: PolicyDays(lead_time_days=5),
                    self.syringe.pk: PolicyDays(review_days=1000),
                },
                worker=self.manager,
            )
        self.assertIs(StockPolicy.objects.exists(), False)


class PolicyPageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.store = store_of(self.site)
        self.url = reverse("inventory:policies", args=[self.store.pk])

    def test_lists_the_items_the_location_holds_or_has_on_order(self) -> None:
        bus = Location.objects.create(org=self.org, name="Bus", kind="mobile_unit")
        place_order(
            location=bus, item=self.condom, quantity=5, worker=self.manager, ordered_on=TODAY
        )
        self.client.force_login(self.manager)
        response = self.client.get(reverse("inventory:policies", args=[bus.pk]))
        self.assertEqual([item for item, _ in response.context["form"].rows()], [self.condom])
        self.assertContains(response, f'name="lead_{self.condom.pk}"')
        self.assertContains(response, 'placeholder="30"')

    def test_saving_the_table_sets_and_clears_settings(self) -> None:
        StockPolicy.objects.create(
            location=self.store, item=self.condom, lead_time_days=9, safety_days=9, review_days=9
        )
        self.client.force_login(self.manager)
        self.assertContains(self.client.get(self.url), 'value="9"', count=3)
        response = self.client.post(
            self.url,
            {
                f"lead_{self.syringe.pk}": "45",
                f"safety_{self.syringe.pk}": "",
                f"review_{self.syringe.pk}": "60",
                f"lead_{self.condom.pk}": "",
            },
        )
        self.assertRedirects(response, reverse("inventory:location", args=[self.store.pk]))
        self.assertEqual(
            list(StockPolicy.objects.values_list("item_id", "lead_time_days", "review_days")),
            [(self.syringe.pk, 45, 60)],
        )

    def test_bad_days_are_refused_and_nothing_saved(self) -> None:
        self.client.force_login(self.manager)
        for value, message in (
            ("-1", "Ensure this value is greater than or equal to 0."),
            ("366", "Ensure this value is less than or equal to 365."),
            ("soon", "Enter a whole number."),
        ):
            with self.subTest(value=value):
                response = self.client.post(
                    self.url, {f"lead_{self.syringe.pk}": "5", f"review_{self.condom.pk}": value}
                )
                self.assertContains(response, message, status_code=422)
        self.assertIs(StockPolicy.objects.exists(), False)

    def test_only_managers_and_only_their_organisation(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, {}).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.client.force_login(self.manager)
        other = reverse("inventory:policies", args=[store_of(self.other_site).pk])
        self.assertEqual(self.client.get(other).status_code, 404)
