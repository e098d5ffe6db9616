"""T22 through the admin page: re-authenticate, lock, the next page is neutral."""

from django.contrib.sessions.models import Session
from django.test import Client as WebClient
from django.test import TestCase
from django.urls import reverse

from outpost.accounts.tests.factories import PASSWORD, code_for, make_device, wrong_code_for
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import StaffClient, make_org, make_site, make_staff
from outpost.vault import custody
from outpost.vault.keys import is_locked

URL = reverse("vault:lock")


def form(password: str, code: str) -> dict[str, str]:
    return {"password": password, "otp_token": code}


class LockViewTests(TestCase):
    client_class = StaffClient

    def setUp(self) -> None:
        self.org = make_org("org-a")
        site = make_site(self.org)
        self.admin = make_staff(self.org, "admin", Role.ADMIN, site)
        self.manager = make_staff(self.org, "manager", Role.MANAGER, site)
        other = make_org("org-b")
        self.outsider = make_staff(other, "outsider", Role.ADMIN, make_site(other))
        self.device = make_device(self.admin)
        self.client.force_login(self.admin)

    def test_shows_a_confirmation_form_to_an_admin(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, 'name="password"')
        self.assertContains(response, 'autocomplete="one-time-code"')
        self.assertIs(is_locked(), False)

    def test_locks_with_password_and_current_code(self) -> None:
        WebClient().force_login(self.manager)
        response = self.client.post(URL, form(PASSWORD, code_for(self.device)))

        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertIs(is_locked(), True)
        self.assertFalse(custody.master_key_path().exists())
        self.assertEqual(Session.objects.count(), 0)
        self.assertContains(
            self.client.get("/"), "Service temporarily unavailable", status_code=503
        )
        event = AuditEvent.objects.get(verb="vault.locked")
        self.assertEqual((event.actor_id, event.org_id), (self.admin.pk, self.org.pk))

    def test_a_wrong_password_changes_nothing(self) -> None:
        response = self.client.post(URL, form("wrong", code_for(self.device)))
        self.assertContains(response, "The password or the code is wrong.")
        self.assertIs(is_locked(), False)
        self.assertFalse(AuditEvent.objects.filter(verb="vault.locked").exists())

    def test_a_wrong_code_changes_nothing(self) -> None:
        response = self.client.post(URL, form(PASSWORD, wrong_code_for(self.device)))
        self.assertContains(response, "The password or the code is wrong.")
        self.assertIs(is_locked(), False)

    def test_a_manager_is_refused(self) -> None:
        self.client.force_login(self.manager)
        self.assertEqual(self.client.get(URL).status_code, 403)
        self.assertEqual(self.client.post(URL, {"password": PASSWORD}).status_code, 403)
        self.assertIs(is_locked(), False)

    def test_an_outsiders_admin_locks_nothing_without_their_own_code(self) -> None:
        # Locking is server-wide; an admin of another organisation on the
        # same server still needs their own password and code.
        self.client.force_login(self.outsider)
        response = self.client.post(URL, form(PASSWORD, code_for(self.device)))
        self.assertContains(response, "The password or the code is wrong.")
        self.assertIs(is_locked(), False)

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        self.client.logout()
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])
