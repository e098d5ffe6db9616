"""The visit page: the client card, and recording what was given (SPEC §2).

Pages are read in English, so that messages compare with their source text.
"""

import uuid

from django.urls import reverse

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact, ContactItem, ContactService
from outpost.core.models import AuditEvent
from outpost.core.tests.base import BaseTestCase, make_client
from outpost.inventory.actions import store_of
from outpost.inventory.models import StockBalance, StockMovement


def on_hand(site_store_id: int) -> dict[int, int]:
    return StockBalance.objects.filter(location_id=site_store_id).on_hand_by_item()


class VisitTestCase(BaseTestCase):
    other_client: Client
    needle: Item
    wipe: Item
    water: Item
    syringe_5: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.other_client = make_client(cls.other_org, cls.outsider, mother="Maria")
        cls.needle = Item.objects.get(org=cls.org, name="Needle 27G")
        cls.wipe = Item.objects.get(org=cls.org, name="Alcohol wipe")
        cls.water = Item.objects.get(org=cls.org, name="Water for injection 2 ml")
        cls.syringe_5 = Item.objects.get(org=cls.org, name="Syringe 5 ml")

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.store_id = store_of(self.site).pk

    def visit_url(self, client_id: int | None = None, site_id: int | None = None) -> str:
        return reverse("contacts:visit", args=[site_id or self.site.pk, client_id or self.anna.pk])

    def entry_data(self, **fields: object) -> dict[str, object]:
        """A valid entry: the injecting kit, counselling and 3 syringes back."""
        data: dict[str, object] = {
            "kits": [self.injecting_kit.pk],
            "services": [self.counselling.pk],
            "syringes_returned": 3,
            "channel": "window",
            "idempotency_key": str(uuid.uuid4()),
        }
        data.update(fields)
        return {key: value for key, value in data.items() if value is not None}

    def snapshot(self) -> tuple[int, int, int, int, int, dict[int, int]]:
        return (
            Contact.objects.count(),
            ContactItem.objects.count(),
            ContactService.objects.count(),
            StockMovement.objects.count(),
            AuditEvent.objects.filter(verb="contact.recorded").count(),
            on_hand(self.store_id),
        )


class VisitPageTests(VisitTestCase):
    def test_shows_the_client_card_with_code_groups_and_last_visits(self) -> None:
        """The card names the code, the groups and what earlier visits gave."""
        record_contact(
            site=self.site,
            worker=self.worker,
            channel="room",
            client=self.anna,
            handout=Handout(items=[(self.condom, 7)], services=[self.counselling]),
        )
        self.client.force_login(self.worker)
        response = self.client.get(self.visit_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<h1 class="code">OLVA110031985</h1>', html=True)
        self.assertContains(response, "Injects opioids")
        self.assertContains(response, "Last visits")
        self.assertContains(response, "7 × Condom")
        self.assertContains(response, "Counselling")
        self.assertContains(response, "Sumy room")
        self.assertEqual(len(response.context["recent"]), 1)

    def test_a_client_without_visits_says_so(self) -> None:
        """A new client's card says there were no visits yet."""
        self.client.force_login(self.worker)
        response = self.client.get(self.visit_url())
        self.assertContains(response, "No visits yet.")

    def test_the_form_starts_on_the_sites_default_channel_with_a_fresh_key(self) -> None:
        """The channel defaults to the site's, and each page carries a new retry key."""
        self.client.force_login(self.worker)
        first = self.client.get(self.visit_url()).context["form"]
        second = self.client.get(self.visit_url()).context["form"]
        self.assertEqual(first["channel"].value(), "window")
        first_key = uuid.UUID(str(first["idempotency_key"].value()))
        self.assertNotEqual(first_key, uuid.UUID(str(second["idempotency_key"].value())))

    def test_an_outsider_gets_404_on_another_organisations_site(self) -> None:
        """Org B staff cannot open org A's site or client."""
        self.client.force_login(self.outsider)
        response = self.client.get(self.visit_url())
        self.assertEqual(response.status_code, 404)

    def test_an_outsider_gets_404_for_the_client_under_their_own_site(self) -> None:
        """Org A's client does not exist at org B's site either."""
        self.client.force_login(self.outsider)
        response = self.client.get(self.visit_url(site_id=self.other_site.pk))
        self.assertEqual(response.status_code, 404)

    def test_another_organisations_client_under_this_site_is_404(self) -> None:
        """A worker cannot open org B's client by putting its id under their own site."""
        self.client.force_login(self.worker)
        response = self.client.get(self.visit_url(client_id=self.other_client.pk))
        self.assertEqual(response.status_code, 404)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        """Without a session the visit page redirects to the login page."""
        response = self.client.get(self.visit_url())
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("login")))


class RecordVisitTests(VisitTestCase):
    def test_records_one_contact_and_takes_the_kit_from_stock(self) -> None:
        """Kit + counselling + 3 returned: one contact, the kit's lines, stock down."""
        before = on_hand(self.store_id)
        self.client.force_login(self.worker)
        channel = self.client.get(self.visit_url()).context["form"]["channel"].value()

        response = self.client.post(self.visit_url(), self.entry_data(channel=channel))

        self.assertRedirects(
            response,
            reverse("contacts:entry", args=[self.site.pk]),
            fetch_redirect_response=False,
        )
        contact = Contact.objects.get()
        self.assertEqual(contact.client, self.anna)
        self.assertEqual(contact.site, self.site)
        self.assertEqual(contact.channel, "window")
        self.assertEqual(contact.worker, self.worker)
        self.assertEqual(contact.syringes_returned, 3)
        lines = {
            (line.item_id, line.kit_id, line.quantity)
            for line in ContactItem.objects.filter(contact=contact)
        }
        expected = {
            (component.item_id, self.injecting_kit.pk, component.quantity)
            for component in self.injecting_kit.components.all()
        }
        self.assertEqual(lines, expected)
        self.assertEqual(
            list(
                ContactService.objects.filter(contact=contact).values_list(
                    "service_type", flat=True
                )
            ),
            [self.counselling.pk],
        )
        after = on_hand(self.store_id)
        for component in self.injecting_kit.components.all():
            self.assertEqual(
                after[component.item_id], before[component.item_id] - component.quantity
            )
        self.assertEqual(after[self.syringe.pk], 95)
        self.assertEqual(after[self.condom.pk], before[self.condom.pk])
        self.anna.refresh_from_db()
        self.assertEqual(self.anna.first_contact_date, contact.date)

    def test_a_saved_contact_is_announced_on_the_entry_page(self) -> None:
        """After the redirect, the entry page says the client's contact was saved."""
        self.client.force_login(self.worker)
        response = self.client.post(self.visit_url(), self.entry_data(), follow=True)
        self.assertContains(response, "Saved: OLVA110031985.")

    def test_a_repeated_post_with_the_same_key_records_once(self) -> None:
        """A retried submit (same idempotency key) neither adds a contact nor takes stock again."""
        self.client.force_login(self.worker)
        data = self.entry_data()
        first = self.client.post(self.visit_url(), data)
        after_first = on_hand(self.store_id)
        second = self.client.post(self.visit_url(), data)
        self.assertEqual(first.status_code, 302)
        self.assertEqual(second.status_code, 302)
        self.assertEqual(Contact.objects.count(), 1)
        self.assertEqual(ContactItem.objects.count(), 4)
        self.assertEqual(on_hand(self.store_id), after_first)
        self.assertEqual(after_first[self.syringe.pk], 95)

    def test_an_item_count_of_zero_is_the_same_as_empty(self) -> None:
        """0 in a single-item box hands out nothing of that item and is no error."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.visit_url(), self.entry_data(**{f"item_{self.condom.pk}": 0})
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(ContactItem.objects.filter(item=self.condom).exists())
        self.assertEqual(on_hand(self.store_id)[self.condom.pk], 100)

    def test_single_items_are_handed_out_by_count(self) -> None:
        """A count in a single-item box becomes a line without a kit."""
        self.client.force_login(self.worker)
        response = self.client.post(
            self.visit_url(), self.entry_data(kits=None, **{f"item_{self.condom.pk}": 12})
        )
        self.assertEqual(response.status_code, 302)
        line = ContactItem.objects.get()
        self.assertEqual((line.item, line.kit, line.quantity), (self.condom, None, 12))
        self.assertEqual(on_hand(self.store_id)[self.condom.pk], 88)

    def test_an_outsider_cannot_post_to_another_organisations_client(self) -> None:
        """A POST by org B staff on org A's site or client is 404 and saves nothing."""
        self.client.force_login(self.outsider)
        before = self.snapshot()
        for url in (self.visit_url(), self.visit_url(site_id=self.other_site.pk)):
            with self.subTest(url=url):
                response = self.client.post(url, self.entry_data())
                self.assertEqual(response.status_code, 404)
                self.assertEqual(self.snapshot(), before)

    def test_another_organisations_client_cannot_be_recorded_here(self) -> None:
        """Posting org B's client id under org A's site is 404 and saves nothing."""
        self.client.force_login(self.worker)
        before = self.snapshot()
        response = self.client.post(
            self.visit_url(client_id=self.other_client.pk), self.entry_data()
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.snapshot(), before)

    def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(self) -> None:
        """Each malformed field answers 422, says why, and records nothing at all."""
        other_kit = Kit.objects.get(org=self.other_org, name="Injecting kit")
        other_service = ServiceType.objects.get(org=self.other_org, code="counselling")
        condom_field = f"item_{self.condom.pk}"
        cases: list[tuple[dict[str, object], str]] = [
            ({condom_field: -1}, "Ensure this value is greater than or equal to 0."),
            ({condom_field: "abc"}, "Enter a whole number."),
            ({condom_field: 1001}, "Ensure this value is less than or equal to 1000."),
            ({condom_field: 10**12}, "Ensure this value is less than or equal to 1000."),
            ({"syringes_returned": -5}, "Ensure this value is greater than or equal to 0."),
            ({"syringes_returned": "x"}, "Enter a whole number."),
            ({"syringes_returned": 10**9}, "Ensure this value is less than or equal to 10000."),
            ({"kits": [999_999]}, "Select a valid choice. 999999 is not one of the"),
            ({"kits": [other_kit.pk]}, f"Select a valid choice. {other_kit.pk} is not one"),
            (
                {"services": [other_service.pk]},
                f"Select a valid choice. {other_service.pk} is not one",
            ),
            ({"channel": "teleport"}, "Select a valid choice. teleport is not one"),
            ({"idempotency_key": None}, "This field is required."),
            ({"idempotency_key": "not-a-uuid"}, "Enter a valid UUID."),
        ]
        self.client.force_login(self.worker)
        for fields, message in cases:
            with self.subTest(fields=fields):
                before = self.snapshot()
                response = self.client.post(self.visit_url(), self.entry_data(**fields))
                self.assertContains(response, message, status_code=422)
                self.assertEqual(self.snapshot(), before)

    def test_a_page_sent_without_its_key_offers_a_new_one(self) -> None:
        """After a missing key the page carries a fresh one, so saving again works."""
        self.client.force_login(self.worker)
        response = self.client.post(self.visit_url(), self.entry_data(idempotency_key=None))
        self.assertContains(response, "This field is required.", status_code=422)
        fresh = uuid.UUID(str(response.context["form"]["idempotency_key"].value()))

        response = self.client.post(self.visit_url(), self.entry_data(idempotency_key=fresh))

        self.assertEqual(response.status_code, 302)
        self.assertEqual(Contact.objects.get().idempotency_key, fresh)

    def test_a_refused_entry_keeps_its_key_for_the_corrected_resubmission(self) -> None:
        """A 422 for a bad count keeps the page's key: nothing was saved under it."""
        self.client.force_login(self.worker)
        data = self.entry_data(**{f"item_{self.condom.pk}": -1})
        response = self.client.post(self.visit_url(), data)
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            str(response.context["form"]["idempotency_key"].value()), data["idempotency_key"]
        )

    def test_asking_for_more_than_on_hand_names_the_item_and_saves_nothing(self) -> None:
        """101 syringes with 100 on hand: 422 naming the item and the count on hand.

        The kit ticked in the same entry is not dispensed either: the whole
        contact is one transaction.
        """
        self.client.force_login(self.worker)
        before = self.snapshot()
        response = self.client.post(
            self.visit_url(), self.entry_data(**{f"item_{self.syringe_5.pk}": 101})
        )
        self.assertContains(
            response,
            "Not enough Syringe 5 ml in stock: 100 on hand, 101 asked for.",
            status_code=422,
        )
        self.assertEqual(self.snapshot(), before)

    def test_a_shortage_after_other_lines_were_taken_rolls_them_back(self) -> None:
        """An item short after the kit's lines were dispensed undoes those lines too."""
        self.assertTrue(
            all(
                component.item_id < self.condom.pk
                for component in self.injecting_kit.components.all()
            ),
            "the kit's items must be dispensed before the condom for this test",
        )
        self.client.force_login(self.worker)
        before = self.snapshot()
        response = self.client.post(
            self.visit_url(), self.entry_data(**{f"item_{self.condom.pk}": 101})
        )
        self.assertContains(
            response, "Not enough Condom in stock: 100 on hand, 101 asked for.", status_code=422
        )
        self.assertEqual(self.snapshot(), before)

    def test_a_kit_and_single_items_of_one_entry_are_counted_together(self) -> None:
        """The kit's 5 syringes plus 96 single ones exceed 100 on hand: refused."""
        self.client.force_login(self.worker)
        before = self.snapshot()
        response = self.client.post(
            self.visit_url(), self.entry_data(**{f"item_{self.syringe.pk}": 96})
        )
        self.assertContains(
            response,
            "Not enough Syringe 2 ml in stock: 100 on hand, 101 asked for.",
            status_code=422,
        )
        self.assertEqual(self.snapshot(), before)


class AnonymousContactTests(VisitTestCase):
    def test_records_a_contact_without_a_client(self) -> None:
        """An anonymous contact counts as a contact and has no client (SPEC §2)."""
        self.client.force_login(self.worker)
        response = self.client.post(
            reverse("contacts:anonymous", args=[self.site.pk]), self.entry_data(), follow=True
        )
        self.assertContains(response, "Saved: anonymous contact.")
        contact = Contact.objects.get()
        self.assertIsNone(contact.client)
        self.assertEqual(ContactItem.objects.filter(contact=contact).count(), 4)
        self.assertEqual(on_hand(self.store_id)[self.syringe.pk], 95)

    def test_the_anonymous_page_shows_no_client_card(self) -> None:
        """The anonymous page has the form and no client's details."""
        self.client.force_login(self.worker)
        response = self.client.get(reverse("contacts:anonymous", args=[self.site.pk]))
        self.assertContains(response, "<h1>Anonymous contact</h1>", html=True)
        self.assertNotContains(response, self.anna.code)

    def test_an_outsider_gets_404_and_saves_nothing(self) -> None:
        """Org B staff cannot record an anonymous contact at org A's site."""
        self.client.force_login(self.outsider)
        before = self.snapshot()
        response = self.client.post(
            reverse("contacts:anonymous", args=[self.site.pk]), self.entry_data()
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.snapshot(), before)
