"""The sign-in page: lockout, enumeration and where a password leads (T5).

django-axes locks a username from one address after five failures in
fifteen minutes, for fifteen minutes (config/settings.py).
"""

import datetime
import re
from typing import TYPE_CHECKING

import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from django.urls import reverse

from outpost.accounts import session_keys
from outpost.accounts.models import StaffSession
from outpost.accounts.tests.factories import (
    PASSWORD,
    make_device,
    sign_in,
    sign_in_with_password,
)
from outpost.core.roles import Role
from outpost.core.tests.base import WorkerTestCase, make_staff

if TYPE_CHECKING:
    # The test client's response type exists only in django-stubs.
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
CSRF_VALUE = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def comparable(response: "TestResponse", username: str) -> tuple[int, str]:
    """Status and body with the per-response CSRF mask and the typed name blanked."""
    body = CSRF_VALUE.sub(r"\1…", response.content.decode())
    return response.status_code, body.replace(username, "USERNAME")


class SignInTestCase(WorkerTestCase):
    def setUp(self) -> None:
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")


class LockoutTests(SignInTestCase):
    def test_the_sixth_attempt_is_refused_even_with_the_right_password(self) -> None:
        """Five failures lock the username from this address; the right password then fails."""
        with time_machine.travel(START, tick=False):
            statuses = [
                sign_in_with_password(self.client, "worker", "wrong horse battery").status_code
                for _ in range(5)
            ]
            response = sign_in_with_password(self.client, "worker", PASSWORD)
        self.assertEqual(statuses, [200, 200, 200, 200, 429])
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "accounts/locked_out.html")
        self.assertNotIn(SESSION_KEY, self.client.session)
        self.assertFalse(StaffSession.objects.exists())

    def test_the_right_password_works_again_after_the_cool_off(self) -> None:
        """Fifteen minutes after the last attempt the lock lifts."""
        with time_machine.travel(START, tick=False) as clock:
            for _ in range(5):
                sign_in_with_password(self.client, "worker", "wrong horse battery")
            clock.shift(settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1))
            self.assertEqual(sign_in_with_password(self.client, "worker").status_code, 429)
            # That refused attempt counted too, so the wait starts again.
            clock.shift(settings.AXES_COOLOFF_TIME + datetime.timedelta(seconds=1))
            response = sign_in_with_password(self.client, "worker")
            self.assertEqual(response.status_code, 302)
            self.assertEqual(int(self.client.session[SESSION_KEY]), self.worker.pk)

    def test_a_lock_holds_only_for_that_username(self) -> None:
        """Guessing at one username does not lock out a colleague at the same desk."""
        make_staff(self.org, "colleague", Role.SOCIAL_WORKER, self.site)
        for _ in range(5):
            sign_in_with_password(self.client, "worker", "wrong horse battery")
        self.assertEqual(sign_in_with_password(self.client, "colleague").status_code, 302)

    def test_the_lockout_page_is_translated(self) -> None:
        """The lockout page speaks the visitor's language."""
        client = Client(HTTP_ACCEPT_LANGUAGE="uk")
        for _ in range(5):
            response = sign_in_with_password(client, "worker", "wrong horse battery")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, '<html lang="uk">', status_code=429)


class EnumerationTests(SignInTestCase):
    def test_a_wrong_password_and_an_unknown_username_get_the_same_reply(self) -> None:
        """Nothing in the reply tells whether the username exists."""
        known = sign_in_with_password(self.client, "worker", "wrong horse battery")
        unknown = sign_in_with_password(Client(), "nobody", "wrong horse battery")
        self.assertEqual(known.status_code, 200)
        self.assertEqual(comparable(known, "worker"), comparable(unknown, "nobody"))
        self.assertContains(known, "Please enter a correct username and password")

    def test_a_locked_known_and_a_locked_unknown_username_get_the_same_reply(self) -> None:
        """The lockout page is the same, 429, whether or not the account exists."""
        other = Client()
        for _ in range(5):
            known = sign_in_with_password(self.client, "worker", "wrong horse battery")
            unknown = sign_in_with_password(other, "nobody", "wrong horse battery")
        self.assertEqual(known.status_code, 429)
        self.assertEqual(comparable(known, "worker"), comparable(unknown, "nobody"))
        self.assertNotContains(known, "worker", status_code=429)

    def test_an_inactive_account_gets_the_same_reply_as_a_wrong_password(self) -> None:
        """A deactivated account's right password is refused like a wrong one."""
        self.worker.is_active = False
        self.worker.save(update_fields=["is_active"])
        refused = sign_in_with_password(self.client, "worker")
        wrong = sign_in_with_password(Client(), "worker", "wrong horse battery")
        self.assertEqual(comparable(refused, "worker"), comparable(wrong, "worker"))


class AfterPasswordTests(SignInTestCase):
    def test_a_person_without_an_authenticator_is_sent_to_set_one_up(self) -> None:
        response = sign_in_with_password(self.client, "worker")
        self.assertRedirects(
            response, reverse("accounts:otp_enrol"), fetch_redirect_response=False
        )

    def test_a_person_with_an_authenticator_is_asked_for_a_code(self) -> None:
        make_device(self.worker)
        response = sign_in_with_password(self.client, "worker")
        self.assertRedirects(
            response, reverse("accounts:otp_verify"), fetch_redirect_response=False
        )

    def test_an_unconfirmed_authenticator_does_not_count(self) -> None:
        """A set-up abandoned half-way sends the person back to set-up."""
        make_device(self.worker, confirmed=False)
        response = sign_in_with_password(self.client, "worker")
        self.assertRedirects(
            response, reverse("accounts:otp_enrol"), fetch_redirect_response=False
        )

    @override_settings(OTP_REQUIRED=False)
    def test_without_the_second_factor_the_password_opens_the_next_page(self) -> None:
        """A local demo with OTP_REQUIRED off signs in with the password alone."""
        response = sign_in_with_password(self.client, "worker", next="/orgs/sites/")
        self.assertRedirects(response, "/orgs/sites/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/orgs/sites/").status_code, 200)

    def test_signing_in_registers_the_session(self) -> None:
        """The session register gets a row with the browser; the session holds its id."""
        self.client.defaults["HTTP_USER_AGENT"] = "Firefox/" + "9" * 300
        sign_in_with_password(self.client, "worker")
        staff_session = StaffSession.objects.get(user=self.worker)
        self.assertEqual(len(staff_session.user_agent), 200)
        self.assertIsNone(staff_session.ended_at)
        self.assertEqual(self.client.session[session_keys.STAFF_SESSION], staff_session.public_id)
        self.assertGreaterEqual(len(staff_session.public_id), 22)

    def test_signing_in_again_ends_the_session_it_replaces(self) -> None:
        """A second sign-in in the same browser closes the first register row."""
        sign_in(self.client, self.worker, make_device(self.worker))
        first = StaffSession.objects.get(user=self.worker)
        sign_in_with_password(self.client, "worker")
        first.refresh_from_db()
        self.assertIsNotNone(first.ended_at)
        self.assertEqual(StaffSession.objects.filter(ended_at__isnull=True).count(), 1)

    def test_a_password_only_session_must_sign_out_before_signing_in_again(self) -> None:
        """The sign-in page is not among the pages open before the second factor."""
        make_device(self.worker)
        sign_in_with_password(self.client, "worker")
        response = sign_in_with_password(self.client, "worker")
        self.assertRedirects(
            response, reverse("accounts:otp_verify"), fetch_redirect_response=False
        )
        self.assertContains(self.client.get(reverse("accounts:otp_verify")), "Sign out")

    def test_the_sign_in_page_hides_the_staff_menu_and_offers_a_quick_exit(self) -> None:
        response = self.client.get(reverse("login"))
        self.assertContains(response, 'href="about:blank"')
        self.assertContains(response, "Quick exit")
        self.assertNotContains(response, reverse("accounts:sessions"))
