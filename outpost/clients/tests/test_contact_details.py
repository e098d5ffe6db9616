import datetime

import time_machine
from django.core.management import call_command
from django.urls import reverse

from outpost.clients.contact_details import (
    find_clients_by_contact,
    reveal_contact_details,
    set_contact_details,
)
from outpost.clients.models import ContactDetails
from outpost.contacts.actions import Handout, record_contact
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_client, make_staff

PHONE = "+7 (999) 000-00-01"
HANDLE = "@canary_f3a9"


class ContactDetailsActionTests(BaseTestCase):
    def test_details_are_stored_as_ciphertext_and_read_back(self) -> None:
        set_contact_details(client=self.anna, worker=self.manager, phone=PHONE, telegram=HANDLE)
        row = ContactDetails.objects.get(client=self.anna)
        assert row.phone is not None and row.telegram is not None
        self.assertNotIn(b"9990000001", bytes(row.phone))
        self.assertNotIn(b"canary", bytes(row.telegram))
        revealed = reveal_contact_details(client=self.anna, worker=self.manager)
        self.assertEqual((revealed.phone, revealed.telegram), ("79990000001", "canary_f3a9"))

    def test_every_reveal_is_audited_once(self) -> None:
        set_contact_details(client=self.anna, worker=self.manager, phone=PHONE, telegram="")
        reveal_contact_details(client=self.anna, worker=self.manager)
        self.assertEqual(
            AuditEvent.objects.filter(
                verb="contact_details.revealed", target_id=self.anna.pk, actor=self.manager
            ).count(),
            1,
        )

    def test_a_phone_is_found_whichever_way_it_is_typed(self) -> None:
        set_contact_details(client=self.anna, worker=self.manager, phone=PHONE, telegram=HANDLE)
        for typed in ("8 999 000 0001", "79990000001", PHONE):
            with self.subTest(typed=typed):
                found = find_clients_by_contact(org_id=self.org.pk, kind="phone", value=typed)
                self.assertEqual(found, [self.anna])
        by_handle = find_clients_by_contact(
            org_id=self.org.pk, kind="telegram", value="CANARY_F3A9"
        )
        self.assertEqual(by_handle, [self.anna])

    def test_another_organisation_never_finds_the_client(self) -> None:
        set_contact_details(client=self.anna, worker=self.manager, phone=PHONE, telegram="")
        self.assertEqual(
            find_clients_by_contact(org_id=self.other_org.pk, kind="phone", value=PHONE), []
        )

    def test_refuses_malformed_details_and_saves_nothing(self) -> None:
        for phone, telegram in (("12", ""), ("1" * 20, ""), ("", "@ab"), ("", "bad handle!")):
            with self.subTest(phone=phone, telegram=telegram), self.assertRaises(DomainError):
                set_contact_details(
                    client=self.anna, worker=self.manager, phone=phone, telegram=telegram
                )
        self.assertFalse(ContactDetails.objects.exists())

    def test_clearing_both_removes_the_row(self) -> None:
        set_contact_details(client=self.anna, worker=self.manager, phone=PHONE, telegram="")
        set_contact_details(client=self.anna, worker=self.manager, phone="", telegram="")
        self.assertFalse(ContactDetails.objects.filter(client=self.anna).exists())


class RetentionTests(BaseTestCase):
    def test_details_of_clients_not_seen_within_the_limit_are_purged(self) -> None:
        seen_long_ago = make_client(self.org, self.worker, mother="Iryna")
        with time_machine.travel(datetime.datetime(2026, 1, 5, 12, tzinfo=datetime.UTC)):
            for client in (self.anna, seen_long_ago):
                record_contact(
                    site=self.site,
                    worker=self.worker,
                    channel="window",
                    client=client,
                    handout=Handout(),
                )
                set_contact_details(client=client, worker=self.manager, phone=PHONE, telegram="")
        with time_machine.travel(datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)):
            record_contact(
                site=self.site,
                worker=self.worker,
                channel="window",
                client=self.anna,
                handout=Handout(),
            )
        # 180 days after January 5 the client seen only then is past the limit.
        with time_machine.travel(datetime.datetime(2026, 7, 10, 12, tzinfo=datetime.UTC)):
            call_command("purge_expired", "--dry-run", stdout=open("/dev/null", "w"))
            self.assertEqual(ContactDetails.objects.count(), 2)
            call_command("purge_expired", stdout=open("/dev/null", "w"))
        self.assertEqual(
            list(ContactDetails.objects.values_list("client_id", flat=True)), [self.anna.pk]
        )


class ContactDetailsViewTests(BaseTestCase):
    def url(self, client_id: int | None = None) -> str:
        return reverse(
            "clients:contact_details",
            kwargs={"site_id": self.site.pk, "client_id": client_id or self.anna.pk},
        )

    def test_a_case_manager_sees_only_whether_details_exist_until_asking(self) -> None:
        set_contact_details(client=self.anna, worker=self.manager, phone=PHONE, telegram="")
        case_manager = make_staff(self.org, "case", Role.CASE_MANAGER, self.site)
        self.client.force_login(case_manager)
        page = self.client.get(self.url())
        self.assertContains(page, "on file")
        self.assertNotContains(page, "79990000001")
        shown = self.client.post(self.url(), {"action": "reveal"})
        self.assertContains(shown, "79990000001")
        self.assertNotIn("7999", shown.request["PATH_INFO"])

    def test_saving_through_the_page_encrypts_and_redirects(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(
            self.url(), {"action": "save", "phone": PHONE, "telegram": HANDLE}
        )
        self.assertRedirects(response, self.url())
        self.assertTrue(ContactDetails.objects.filter(client=self.anna).exists())

    def test_bad_details_get_a_message_and_nothing_is_saved(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(self.url(), {"action": "save", "phone": "12", "telegram": ""})
        self.assertContains(response, "7 to 15 digits", status_code=422)
        self.assertFalse(ContactDetails.objects.exists())

    def test_the_window_and_m_and_e_are_refused(self) -> None:
        me = make_staff(self.org, "me", Role.ME_OFFICER, self.site)
        for user in (self.worker, me):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_an_outsider_gets_404(self) -> None:
        outsider_manager = make_staff(self.other_org, "boss-b", Role.MANAGER, self.other_site)
        self.client.force_login(outsider_manager)
        url = reverse(
            "clients:contact_details",
            kwargs={"site_id": self.other_site.pk, "client_id": self.anna.pk},
        )
        self.assertEqual(self.client.get(url).status_code, 404)


class BrowserHistoryTests(BaseTestCase):
    def test_private_inputs_ask_the_browser_not_to_remember_them(self) -> None:
        """Parents' names and contact details must not stay in autofill history."""
        self.client.force_login(self.manager)
        pages = [
            self.client.get(reverse("clients:register", args=[self.site.pk])),
            self.client.post(
                reverse("clients:contact_details", args=[self.site.pk, self.anna.pk]),
                {"action": "edit"},
            ),
        ]
        for page in pages:
            html = page.content.decode()
            for name in ("mother_name", "father_name", "phone", "telegram"):
                if f'name="{name}"' in html:
                    tag = html[html.rindex("<input", 0, html.index(f'name="{name}"')) :]
                    tag = tag[: tag.index(">")]
                    with self.subTest(field=name):
                        self.assertIn('autocomplete="off"', tag)
