"""The quick-entry screen: who may open it, and finding a client by code.

Pages are read in English, so that messages compare with their source text.
"""

import re

from django.urls import reverse

from outpost.clients.models import Client
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_client, make_staff


class EntryTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def entry_url(self, site_id: int | None = None) -> str:
        return reverse("contacts:entry", args=[site_id or self.site.pk])

    def find_url(self, site_id: int | None = None) -> str:
        return reverse("contacts:find", args=[site_id or self.site.pk])


class EntryPageTests(EntryTestCase):
    def test_a_social_worker_sees_the_code_box(self) -> None:
        """A social worker of the site's organisation gets the entry page."""
        self.client.force_login(self.worker)
        response = self.client.get(self.entry_url())
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "contacts/entry.html")
        self.assertContains(response, 'name="code"')
        self.assertContains(response, self.find_url())

    def test_a_manager_sees_the_code_box(self) -> None:
        """A manager may record contacts too."""
        self.client.force_login(self.manager)
        response = self.client.get(self.entry_url())
        self.assertEqual(response.status_code, 200)

    def test_an_outsider_gets_404_on_another_organisations_site(self) -> None:
        """A site of another organisation does not exist for the outsider."""
        self.client.force_login(self.outsider)
        response = self.client.get(self.entry_url())
        self.assertEqual(response.status_code, 404)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        """Without a session the page redirects to the login page, keeping the way back."""
        url = self.entry_url()
        response = self.client.get(url)
        self.assertRedirects(
            response, f"{reverse('login')}?next={url}", fetch_redirect_response=False
        )

    def test_an_me_officer_is_refused(self) -> None:
        """An M&E officer reads figures but does not record contacts: 403."""
        officer = make_staff(self.org, "officer", Role.ME_OFFICER, self.site)
        self.client.force_login(officer)
        response = self.client.get(self.entry_url())
        self.assertEqual(response.status_code, 403)

    def test_a_courier_is_refused(self) -> None:
        """A courier has no permission on the quick-entry screen: 403."""
        courier = make_staff(self.org, "courier", Role.COURIER, self.site)
        self.client.force_login(courier)
        response = self.client.get(self.entry_url())
        self.assertEqual(response.status_code, 403)

    def test_find_refuses_get(self) -> None:
        """Codes are only sent by POST, so they stay out of URLs and logs."""
        self.client.force_login(self.worker)
        response = self.client.get(self.find_url())
        self.assertEqual(response.status_code, 405)


class FindClientTests(EntryTestCase):
    def test_a_known_code_opens_the_client(self) -> None:
        """Typing an existing code goes straight to that client's visit page."""
        self.client.force_login(self.worker)
        response = self.client.post(self.find_url(), {"code": self.anna.code})
        self.assertRedirects(
            response,
            reverse("contacts:visit", args=[self.site.pk, self.anna.pk]),
            fetch_redirect_response=False,
        )

    def test_a_code_typed_in_cyrillic_lowercase_with_spaces_finds_the_same_client(
        self,
    ) -> None:
        """Case, spaces and a Cyrillic keyboard do not change the code (SPEC §1.2)."""
        self.assertEqual(self.anna.code, "OLVA110031985")
        self.client.force_login(self.worker)
        response = self.client.post(self.find_url(), {"code": "  олва 1 10 03 1985 "})
        self.assertRedirects(
            response,
            reverse("contacts:visit", args=[self.site.pk, self.anna.pk]),
            fetch_redirect_response=False,
        )

    def test_an_unknown_code_offers_registration_and_lists_look_alikes(self) -> None:
        """A valid new code shows the register card, with near-duplicates to check first."""
        near = make_client(self.org, self.worker, mother="Iryna", birth_year=1990)
        self.assertEqual(near.code, "IRVA110031990")
        clients_before = Client.objects.count()
        self.client.force_login(self.worker)

        # One letter differs from the existing code (SPEC §1.3).
        response = self.client.post(self.find_url(), {"code": "IRVO110031990"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["unknown_code"], "IRVO110031990")
        self.assertContains(response, "IRVO110031990")
        self.assertContains(response, "Register this code")
        self.assertContains(response, reverse("clients:register", args=[self.site.pk]))
        self.assertEqual([client for client, _ in response.context["duplicates"]], [near])
        self.assertContains(response, reverse("contacts:visit", args=[self.site.pk, near.pk]))
        registration = response.context["registration"]
        self.assertEqual(registration.initial["mother_name"], "IR")
        self.assertEqual(registration.initial["father_name"], "VO")
        self.assertEqual(registration.initial["sex"], "1")
        self.assertContains(response, 'name="birth_date" value="1990-03-10"')
        self.assertEqual(Client.objects.count(), clients_before)

    def test_the_register_card_registers_exactly_the_typed_code(self) -> None:
        """Posting the card's hidden fields creates a client with the code typed."""
        self.client.force_login(self.worker)
        card = self.client.post(self.find_url(), {"code": "ma99 2 01021990"})
        hidden = dict(
            re.findall(
                r'<input type="hidden" name="(\w+)" value="([^"]*)">', card.content.decode()
            )
        )
        self.assertEqual(
            {name: hidden[name] for name in ("mother_name", "father_name", "sex", "birth_date")},
            {"mother_name": "MA", "father_name": "99", "sex": "2", "birth_date": "1990-02-01"},
        )

        response = self.client.post(
            reverse("clients:register", args=[self.site.pk]), {**hidden, "groups": ["sex_work"]}
        )

        created = Client.objects.get(org=self.org, code="MA99201021990")
        self.assertRedirects(
            response,
            reverse("contacts:visit", args=[self.site.pk, created.pk]),
            fetch_redirect_response=False,
        )
        self.assertEqual(list(created.groups.values_list("group", flat=True)), ["sex_work"])

    def test_malformed_codes_are_refused_with_a_message_and_nothing_is_created(
        self,
    ) -> None:
        """A code that breaks SPEC §1.1 answers 422, says why, and creates no client."""
        cases = [
            ("OLVA1", "5 characters were typed"),
            ("OLVA11003AB85", "date of birth as digits, DDMMYYYY, not “1003AB85”"),
            ("OLVA131021985", "“31021985” is not a real date (DDMMYYYY)."),
            ("x" * 1000, "Ensure this value has at most 40 characters (it has 1000)."),
            ("", "This field is required."),
        ]
        self.client.force_login(self.worker)
        clients_before = Client.objects.count()
        for code, message in cases:
            with self.subTest(code=code[:20]):
                response = self.client.post(self.find_url(), {"code": code})
                self.assertContains(response, message, status_code=422)
                self.assertNotIn("unknown_code", response.context)
                self.assertEqual(Client.objects.count(), clients_before)

    def test_an_outsider_cannot_post_a_code_to_another_organisations_site(self) -> None:
        """The find action 404s on a site outside the outsider's organisation."""
        self.client.force_login(self.outsider)
        response = self.client.post(self.find_url(), {"code": self.anna.code})
        self.assertEqual(response.status_code, 404)

    def test_an_outsider_typing_a_known_code_at_their_own_site_finds_nobody(self) -> None:
        """Codes are per organisation: org A's client is not revealed to org B."""
        self.client.force_login(self.outsider)
        response = self.client.post(self.find_url(self.other_site.pk), {"code": self.anna.code})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["unknown_code"], self.anna.code)
        self.assertEqual(response.context["duplicates"], [])
        self.assertNotContains(
            response, reverse("contacts:visit", args=[self.other_site.pk, self.anna.pk])
        )
        self.assertNotContains(
            response, reverse("contacts:visit", args=[self.site.pk, self.anna.pk])
        )
