from collections.abc import Sequence

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outpost.catalogue.models import Item, ItemCategory, Kit, KitComponent, ServiceType
from outpost.contacts.actions import Handout, record_contact
from outpost.core.choices import Channel
from outpost.core.tests.base import BaseTestCase

# (component id or None for a new row, item id, quantity, delete)
Row = tuple[int | None, int | str, int | str, bool]


def kit_post(kit_name: str, rows: Sequence[Row], *, is_active: bool = True) -> dict[str, str]:
    """The POST body of the kit form, as the browser sends it."""
    data = {
        "name": kit_name,
        "components-TOTAL_FORMS": str(len(rows)),
        "components-INITIAL_FORMS": str(sum(1 for row in rows if row[0] is not None)),
        "components-MIN_NUM_FORMS": "1",
        "components-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for index, (component_id, item_id, quantity, delete) in enumerate(rows):
        prefix = f"components-{index}-"
        data[prefix + "id"] = "" if component_id is None else str(component_id)
        data[prefix + "item"] = str(item_id)
        data[prefix + "quantity"] = str(quantity)
        if delete:
            data[prefix + "DELETE"] = "on"
    return data


def contents(kit: Kit) -> list[tuple[str, int]]:
    return sorted(kit.components.values_list("item__name", "quantity"))


@override_settings(LANGUAGE_CODE="en")
class CatalogueViewTests(BaseTestCase):
    syringe_category: ItemCategory
    foreign_item: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.syringe_category = ItemCategory.objects.get(code="syringe")
        cls.foreign_item = Item.objects.create(
            org=cls.other_org, category=cls.syringe_category, name="Their syringe"
        )

    def setUp(self) -> None:
        self.client.force_login(self.manager)

    def existing_rows(self, kit: Kit) -> list[Row]:
        return [(c.pk, c.item_id, c.quantity, False) for c in kit.components.order_by("pk")]

    # Access

    def test_manager_sees_items_kits_and_service_types(self) -> None:
        response = self.client.get(reverse("catalogue:index"))
        self.assertEqual(response.status_code, 200)
        for heading in ["Items", "Kits", "Service types"]:
            self.assertContains(response, f"<h2>{heading}</h2>", html=True)
        self.assertContains(response, "Syringe 2 ml")
        self.assertContains(response, "Injecting kit")
        self.assertContains(response, "5 × Needle 27G")
        self.assertContains(response, "Counselling")
        self.assertContains(response, reverse("catalogue:item_edit", args=[self.syringe.pk]))

    def test_index_shows_only_own_organisation(self) -> None:
        response = self.client.get(reverse("catalogue:index"))
        self.assertNotContains(response, "Their syringe")

    def test_index_query_count_does_not_grow_with_kits(self) -> None:
        with CaptureQueriesContext(connection) as before:
            self.client.get(reverse("catalogue:index"))
        for n in range(5):
            kit = Kit.objects.create(org=self.org, name=f"Extra kit {n}")
            KitComponent.objects.create(kit=kit, item=self.condom, quantity=n + 1)
        with CaptureQueriesContext(connection) as after:
            self.client.get(reverse("catalogue:index"))
        self.assertEqual(len(after), len(before))

    def test_social_worker_is_refused_every_page(self) -> None:
        self.client.force_login(self.worker)
        urls = [
            reverse("catalogue:index"),
            reverse("catalogue:item_new"),
            reverse("catalogue:item_edit", args=[self.syringe.pk]),
            reverse("catalogue:kit_new"),
            reverse("catalogue:kit_edit", args=[self.injecting_kit.pk]),
            reverse("catalogue:service_new"),
            reverse("catalogue:service_edit", args=[self.counselling.pk]),
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 403)

    def test_social_worker_cannot_create_an_item(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            reverse("catalogue:item_new"),
            {"name": "Sneaky", "category": self.syringe_category.pk},
        )
        self.assertEqual(response.status_code, 403)
        self.assertIs(Item.objects.filter(name="Sneaky").exists(), False)

    def test_anonymous_is_sent_to_sign_in(self) -> None:
        self.client.logout()
        url = reverse("catalogue:index")
        response = self.client.get(url)
        self.assertRedirects(
            response, f"{reverse('login')}?next={url}", fetch_redirect_response=False
        )

    def test_outsider_is_refused(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(reverse("catalogue:index")).status_code, 403)

    def test_other_organisations_rows_are_not_found(self) -> None:
        other_kit = Kit.objects.get(org=self.other_org, name="Injecting kit")
        other_service = ServiceType.objects.get(org=self.other_org, code="counselling")
        urls = [
            reverse("catalogue:item_edit", args=[self.foreign_item.pk]),
            reverse("catalogue:kit_edit", args=[other_kit.pk]),
            reverse("catalogue:service_edit", args=[other_service.pk]),
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertEqual(self.client.post(url, {"name": "Mine"}).status_code, 404)
        self.foreign_item.refresh_from_db()
        self.assertEqual(self.foreign_item.name, "Their syringe")

    # Items

    def test_manager_creates_an_item_in_their_organisation(self) -> None:
        response = self.client.post(
            reverse("catalogue:item_new"),
            {
                "name": "Syringe 10 ml",
                "category": self.syringe_category.pk,
                "is_active": "on",
                "org": self.other_org.pk,
            },
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        item = Item.objects.get(name="Syringe 10 ml")
        self.assertEqual(item.org_id, self.org.pk)
        self.assertEqual(item.category_id, self.syringe_category.pk)
        self.assertIs(item.is_active, True)

    def test_manager_edits_and_retires_an_item(self) -> None:
        url = reverse("catalogue:item_edit", args=[self.syringe.pk])
        self.assertContains(self.client.get(url), 'value="Syringe 2 ml"')
        response = self.client.post(
            url,
            {"name": "Syringe 2 ml", "category": self.syringe_category.pk},
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        self.syringe.refresh_from_db()
        self.assertIs(self.syringe.is_active, False)

    def test_an_item_handed_out_keeps_its_category(self) -> None:
        """Reports count past hand-outs by category (SPEC §3.1 ``syringes``)."""
        record_contact(
            site=self.site,
            worker=self.worker,
            channel=Channel.WINDOW,
            client=self.anna,
            handout=Handout(items=[(self.syringe, 2)]),
        )
        needle = ItemCategory.objects.get(code="needle")
        url = reverse("catalogue:item_edit", args=[self.syringe.pk])
        response = self.client.post(url, {"name": "Syringe 2 ml", "category": needle.pk})
        self.assertContains(response, "This item has been handed out", status_code=422)
        self.syringe.refresh_from_db()
        self.assertEqual(self.syringe.category, self.syringe_category)

    def test_an_item_never_handed_out_may_change_category(self) -> None:
        needle = ItemCategory.objects.get(code="needle")
        url = reverse("catalogue:item_edit", args=[self.syringe.pk])
        response = self.client.post(url, {"name": "Syringe 2 ml", "category": needle.pk})
        self.assertRedirects(response, reverse("catalogue:index"))
        self.syringe.refresh_from_db()
        self.assertEqual(self.syringe.category, needle)

    def test_duplicate_item_name_is_refused(self) -> None:
        count = Item.objects.count()
        response = self.client.post(
            reverse("catalogue:item_new"),
            {"name": "condom", "category": self.syringe_category.pk},
        )
        self.assertContains(
            response, "Your organisation already has an item with this name.", status_code=422
        )
        self.assertEqual(Item.objects.count(), count)

    def test_renaming_an_item_to_another_items_name_is_refused(self) -> None:
        response = self.client.post(
            reverse("catalogue:item_edit", args=[self.syringe.pk]),
            {"name": "Condom", "category": self.syringe_category.pk},
        )
        self.assertContains(
            response, "Your organisation already has an item with this name.", status_code=422
        )
        self.syringe.refresh_from_db()
        self.assertEqual(self.syringe.name, "Syringe 2 ml")

    def test_name_used_only_by_another_organisation_is_allowed(self) -> None:
        response = self.client.post(
            reverse("catalogue:item_new"),
            {"name": "Their syringe", "category": self.syringe_category.pk},
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        self.assertIs(Item.objects.filter(org=self.org, name="Their syringe").exists(), True)

    def test_invalid_item_fields_are_refused(self) -> None:
        count = Item.objects.count()
        cases: dict[str, dict[str, str | int]] = {
            "long name": {"name": "x" * 500},
            "empty name": {"name": "  "},
            "no category": {"name": "New", "category": ""},
        }
        for case, fields in cases.items():
            with self.subTest(case):
                response = self.client.post(
                    reverse("catalogue:item_new"), {"category": self.syringe_category.pk, **fields}
                )
                self.assertEqual(response.status_code, 422)
                self.assertContains(response, 'class="errorlist', status_code=422)
        self.assertEqual(Item.objects.count(), count)

    # Kits

    def test_manager_creates_a_kit_with_two_components(self) -> None:
        response = self.client.post(
            reverse("catalogue:kit_new"),
            kit_post(
                "Starter kit",
                [(None, self.syringe.pk, 3, False), (None, self.condom.pk, 2, False)],
            ),
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        kit = Kit.objects.get(name="Starter kit")
        self.assertEqual(kit.org_id, self.org.pk)
        self.assertEqual(contents(kit), [("Condom", 2), ("Syringe 2 ml", 3)])

    def test_new_kit_ignores_empty_spare_rows(self) -> None:
        response = self.client.post(
            reverse("catalogue:kit_new"),
            kit_post("Starter kit", [(None, self.condom.pk, 2, False), (None, "", "", False)]),
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        self.assertEqual(contents(Kit.objects.get(name="Starter kit")), [("Condom", 2)])

    def test_kit_without_components_is_refused(self) -> None:
        response = self.client.post(
            reverse("catalogue:kit_new"), kit_post("Empty kit", [(None, "", "", False)])
        )
        self.assertEqual(response.status_code, 422)
        self.assertIs(Kit.objects.filter(name="Empty kit").exists(), False)

    def test_manager_removes_a_component_from_a_kit(self) -> None:
        kit = self.injecting_kit
        rows = self.existing_rows(kit)
        needle = next(
            row for row in rows if row[1] == Item.objects.get(org=self.org, name="Needle 27G").pk
        )
        rows[rows.index(needle)] = (needle[0], needle[1], needle[2], True)
        response = self.client.post(
            reverse("catalogue:kit_edit", args=[kit.pk]), kit_post(kit.name, rows)
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        self.assertEqual(
            contents(kit),
            [("Alcohol wipe", 10), ("Syringe 2 ml", 5), ("Water for injection 2 ml", 5)],
        )

    def test_manager_changes_a_quantity_adds_an_item_and_retires_the_kit(self) -> None:
        kit = self.injecting_kit
        rows = self.existing_rows(kit)
        rows[0] = (rows[0][0], rows[0][1], 7, False)
        rows.append((None, self.condom.pk, 1, False))
        response = self.client.post(
            reverse("catalogue:kit_edit", args=[kit.pk]),
            kit_post("Injecting kit", rows, is_active=False),
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        kit.refresh_from_db()
        self.assertIs(kit.is_active, False)
        self.assertIn(("Condom", 1), contents(kit))
        self.assertIn(("Syringe 2 ml", 7), contents(kit))

    def test_invalid_component_quantity_leaves_the_kit_unchanged(self) -> None:
        kit = self.injecting_kit
        before = contents(kit)
        quantities: list[int | str] = [0, -1, "abc", 1001, ""]
        for quantity in quantities:
            with self.subTest(quantity=quantity):
                rows = self.existing_rows(kit)
                rows[0] = (rows[0][0], rows[0][1], quantity, False)
                response = self.client.post(
                    reverse("catalogue:kit_edit", args=[kit.pk]),
                    kit_post("Renamed kit", rows),
                )
                self.assertContains(response, 'class="errorlist', status_code=422)
                kit.refresh_from_db()
                self.assertEqual(kit.name, "Injecting kit")
                self.assertEqual(contents(kit), before)

    def test_invalid_quantity_on_a_new_kit_saves_nothing(self) -> None:
        quantities: list[int | str] = [0, -1, "abc", 1001]
        for quantity in quantities:
            with self.subTest(quantity=quantity):
                response = self.client.post(
                    reverse("catalogue:kit_new"),
                    kit_post(
                        "Starter kit",
                        [
                            (None, self.syringe.pk, 3, False),
                            (None, self.condom.pk, quantity, False),
                        ],
                    ),
                )
                self.assertEqual(response.status_code, 422)
                self.assertIs(Kit.objects.filter(name="Starter kit").exists(), False)

    def test_the_same_item_twice_in_a_kit_is_refused(self) -> None:
        response = self.client.post(
            reverse("catalogue:kit_new"),
            kit_post(
                "Starter kit",
                [(None, self.condom.pk, 3, False), (None, self.condom.pk, 2, False)],
            ),
        )
        self.assertEqual(response.status_code, 422)
        self.assertIs(Kit.objects.filter(name="Starter kit").exists(), False)

    def test_another_organisations_item_cannot_go_in_a_kit(self) -> None:
        kit = self.injecting_kit
        before = contents(kit)
        rows = [*self.existing_rows(kit), (None, self.foreign_item.pk, 1, False)]
        response = self.client.post(
            reverse("catalogue:kit_edit", args=[kit.pk]), kit_post(kit.name, rows)
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(contents(kit), before)

    def test_kit_form_offers_only_own_items_in_use(self) -> None:
        Item.objects.filter(pk=self.condom.pk).update(is_active=False)
        response = self.client.get(reverse("catalogue:kit_new"))
        self.assertContains(response, "Syringe 2 ml")
        self.assertNotContains(response, "Their syringe")
        self.assertNotContains(response, f'value="{self.condom.pk}"')

    def test_duplicate_kit_name_is_refused(self) -> None:
        count = Kit.objects.count()
        response = self.client.post(
            reverse("catalogue:kit_new"),
            kit_post("Safer sex kit", [(None, self.condom.pk, 2, False)]),
        )
        self.assertContains(
            response, "Your organisation already has a kit with this name.", status_code=422
        )
        self.assertEqual(Kit.objects.count(), count)

    def test_very_long_kit_name_is_refused(self) -> None:
        kit = self.injecting_kit
        response = self.client.post(
            reverse("catalogue:kit_edit", args=[kit.pk]),
            kit_post("k" * 500, self.existing_rows(kit)),
        )
        self.assertEqual(response.status_code, 422)
        kit.refresh_from_db()
        self.assertEqual(kit.name, "Injecting kit")

    # Service types

    def test_manager_creates_a_service_type(self) -> None:
        response = self.client.post(
            reverse("catalogue:service_new"),
            {"name": "Legal advice", "code": "legal_advice", "is_active": "on"},
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        service_type = ServiceType.objects.get(org=self.org, code="legal_advice")
        self.assertEqual(service_type.name, "Legal advice")

    def test_manager_renames_a_service_type_but_not_its_code(self) -> None:
        response = self.client.post(
            reverse("catalogue:service_edit", args=[self.counselling.pk]),
            {"name": "Peer counselling", "code": "changed"},
        )
        self.assertRedirects(response, reverse("catalogue:index"))
        self.counselling.refresh_from_db()
        self.assertEqual(self.counselling.name, "Peer counselling")
        self.assertEqual(self.counselling.code, "counselling")
        self.assertIs(self.counselling.is_active, False)

    def test_invalid_service_types_are_refused(self) -> None:
        count = ServiceType.objects.count()
        cases = {
            "duplicate code": (
                {"name": "Talks", "code": "counselling"},
                "Your organisation already has a service type with this code.",
            ),
            "duplicate name": (
                {"name": "Counselling", "code": "talks"},
                "Your organisation already has a service type with this name.",
            ),
            "code not a slug": ({"name": "Talks", "code": "two words"}, "errorlist"),
            "long name": ({"name": "s" * 500, "code": "talks"}, "errorlist"),
            "long code": ({"name": "Talks", "code": "c" * 41}, "errorlist"),
        }
        for case, (fields, message) in cases.items():
            with self.subTest(case):
                response = self.client.post(reverse("catalogue:service_new"), fields)
                self.assertContains(response, message, status_code=422)
        self.assertEqual(ServiceType.objects.count(), count)
