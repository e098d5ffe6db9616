"""Managing the places that hold stock: list, create, edit, take out of use."""

from django.urls import reverse

from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.inventory.actions import adjust_stock, receive_stock, store_of
from outpost.inventory.models import Location
from outpost.orgs.models import User


def fields(**values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Courier bag Ira",
        "kind": Location.Kind.COURIER_BAG,
        "site": "",
        "holder": "",
        "lead_time_days": 7,
        "safety_days": 3,
        "review_days": 14,
        "is_active": "on",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


class LocationViewTests(BaseTestCase):
    courier: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.courier = make_staff(cls.org, "ira", Role.COURIER, cls.site)

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.manager)
        self.store = store_of(self.site)

    def test_lists_every_location_with_what_it_holds(self) -> None:
        Location.objects.create(org=self.org, name="Old car", kind="car", is_active=False)
        response = self.client.get(reverse("inventory:locations"))
        self.assertContains(response, "Sumy room")
        self.assertContains(response, "Old car")
        self.assertContains(response, "No longer in use")
        self.assertNotContains(response, "Other room")
        store_row = next(loc for loc in response.context["locations"] if loc.pk == self.store.pk)
        self.assertEqual(store_row.units, 100 * self.org.items.count())

    def test_a_manager_creates_a_courier_bag_held_by_a_courier(self) -> None:
        response = self.client.post(
            reverse("inventory:location_new"), fields(holder=self.courier.pk)
        )
        self.assertRedirects(response, reverse("inventory:locations"))
        bag = Location.objects.get(name="Courier bag Ira")
        self.assertEqual(
            (bag.org_id, bag.kind, bag.holder, bag.lead_time_days, bag.safety_days),
            (self.org.pk, "courier_bag", self.courier, 7, 3),
        )
        self.assertIs(
            AuditEvent.objects.filter(verb="stock.location_created", target_id=bag.pk).exists(),
            True,
        )

    def test_a_duplicate_name_is_refused_whatever_its_case(self) -> None:
        count = Location.objects.count()
        response = self.client.post(
            reverse("inventory:location_new"),
            fields(name="sumy ROOM", kind="store", site=self.site.pk),
        )
        self.assertContains(
            response,
            "Your organisation already has a stock location with this name.",
            status_code=422,
        )
        self.assertEqual(Location.objects.count(), count)

    def test_bad_input_is_refused_and_nothing_saved(self) -> None:
        other_holder = self.outsider
        cases = {
            "a bag without holder": (fields(), "Say whose bag this is."),
            "a holder of another organisation": (
                fields(holder=other_holder.pk),
                "Select a valid choice.",
            ),
            "a store without site": (
                fields(name="Store 2", kind="store"),
                "A store belongs to a site.",
            ),
            "a second store for a site": (
                fields(name="Store 2", kind="store", site=self.site.pk),
                "That site already has a store",
            ),
            "a site of another organisation": (
                fields(name="Bus", kind="mobile_unit", site=self.other_site.pk),
                "Select a valid choice.",
            ),
            "a holder for a bus": (
                fields(name="Bus", kind="mobile_unit", holder=self.courier.pk),
                "Only a courier bag or a staff car has a holder.",
            ),
            "too many days": (
                fields(holder=self.courier.pk, lead_time_days=400),
                "Ensure this value is less than or equal to 365.",
            ),
            "negative days": (
                fields(holder=self.courier.pk, safety_days=-1),
                "Ensure this value is greater than or equal to 0.",
            ),
            "no name": (fields(name="  ", holder=self.courier.pk), "This field is required."),
        }
        count = Location.objects.count()
        for case, (data, message) in cases.items():
            with self.subTest(case):
                response = self.client.post(reverse("inventory:location_new"), data)
                self.assertContains(response, message, status_code=422)
        self.assertEqual(Location.objects.count(), count)

    def test_a_manager_edits_the_days_of_a_location(self) -> None:
        url = reverse("inventory:location_edit", args=[self.store.pk])
        self.assertContains(self.client.get(url), 'value="Sumy room"')
        response = self.client.post(
            url, fields(name="Sumy store", kind="store", site=self.site.pk, lead_time_days=21)
        )
        self.assertRedirects(response, reverse("inventory:locations"))
        self.store.refresh_from_db()
        self.assertEqual((self.store.name, self.store.lead_time_days), ("Sumy store", 21))

    def test_a_location_holding_stock_stays_in_use(self) -> None:
        url = reverse("inventory:location_edit", args=[self.store.pk])
        data = fields(name="Sumy room", kind="store", site=self.site.pk, is_active=None)
        response = self.client.post(url, data)
        self.assertContains(response, "Sumy room still holds", status_code=422)
        self.assertContains(response, "write them off", status_code=422)
        self.store.refresh_from_db()
        self.assertIs(self.store.is_active, True)

    def test_an_empty_location_goes_out_of_use(self) -> None:
        car = Location.objects.create(org=self.org, name="Car", kind="car")
        receive_stock(
            location=car, item=self.condom, quantity=1, worker=self.manager, occurred_on=TODAY
        )
        car_fields = fields(name="Car", kind="car", is_active=None)
        url = reverse("inventory:location_edit", args=[car.pk])
        self.assertEqual(self.client.post(url, car_fields).status_code, 422)
        adjust_stock(
            location=car,
            item=self.condom,
            lot="",
            quantity=-1,
            reason="loss",
            worker=self.manager,
            occurred_on=TODAY,
        )
        self.assertRedirects(self.client.post(url, car_fields), reverse("inventory:locations"))
        car.refresh_from_db()
        self.assertIs(car.is_active, False)

    def test_only_managers_manage_locations(self) -> None:
        self.client.force_login(self.worker)
        for url in (
            reverse("inventory:locations"),
            reverse("inventory:location_new"),
            reverse("inventory:location_edit", args=[self.store.pk]),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 403)
        response = self.client.post(
            reverse("inventory:location_new"), fields(holder=self.courier.pk)
        )
        self.assertEqual(response.status_code, 403)
        self.assertIs(Location.objects.filter(name="Courier bag Ira").exists(), False)

    def test_another_organisations_location_is_not_found(self) -> None:
        url = reverse("inventory:location_edit", args=[store_of(self.other_site).pk])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, fields(name="Mine")).status_code, 404)
