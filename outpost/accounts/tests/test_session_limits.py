"""How sessions end: limits, sign-out, deactivation, administrators (T7, ASVS 7, 3.3)."""

import datetime
import json
import os
import subprocess
import sys

import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from outpost.accounts.actions import deactivate_member, end_sessions_by_admin
from outpost.accounts.models import StaffSession
from outpost.accounts.tests.factories import code_for, make_device, sign_in
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, StaffClient, make_staff
from outpost.orgs.models import Membership

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
SITES = "/orgs/sites/"
SIGN_IN_AGAIN = f"/accounts/login/?next={SITES.replace('/', '%2F')}"


class SessionLimitTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.clock = time_machine.travel(START, tick=False)
        self.traveller = self.clock.start()
        self.addCleanup(self.clock.stop)
        self.client.force_login(self.worker)

    def assertSignedOut(self, client: Client) -> None:
        response = client.get(SITES)
        self.assertRedirects(response, SIGN_IN_AGAIN, fetch_redirect_response=False)
        # And it stays signed out.
        self.assertRedirects(client.get(SITES), SIGN_IN_AGAIN, fetch_redirect_response=False)

    def test_a_request_at_the_idle_limit_is_still_served(self) -> None:
        self.traveller.shift(settings.SESSION_IDLE_TIMEOUT)
        self.assertEqual(self.client.get(SITES).status_code, 200)

    def test_one_second_past_the_idle_limit_leads_to_the_sign_in_page(self) -> None:
        """Fifteen idle minutes and a second end the session (ASVS 7.3.1)."""
        self.traveller.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        response = self.client.get(SITES)
        self.assertEqual(response["Clear-Site-Data"], '"cache", "storage"')
        self.assertRedirects(response, SIGN_IN_AGAIN, fetch_redirect_response=False)
        self.assertSignedOut(self.client)
        page = self.client.get(reverse("login"))
        self.assertContains(page, "You were signed out after 15 minutes without activity.")
        ended = StaffSession.objects.get(user=self.worker)
        self.assertIsNotNone(ended.ended_at)
        self.assertTrue(AuditEvent.objects.filter(verb="session.expired_idle").exists())

    def test_activity_keeps_the_session_alive(self) -> None:
        for _ in range(6):
            self.traveller.shift(settings.SESSION_IDLE_TIMEOUT - 60)
            self.assertEqual(self.client.get(SITES).status_code, 200)

    def test_one_second_past_eight_hours_leads_to_the_sign_in_page_despite_activity(self) -> None:
        """The absolute limit holds however busy the session is (ASVS 7.3.2)."""
        step = settings.SESSION_IDLE_TIMEOUT - 1
        elapsed = 0
        while elapsed + step <= settings.SESSION_ABSOLUTE_LIMIT:
            self.traveller.shift(step)
            elapsed += step
            self.assertEqual(self.client.get(SITES).status_code, 200)
        self.traveller.shift(settings.SESSION_ABSOLUTE_LIMIT - elapsed - 1)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        self.traveller.shift(2)
        self.assertSignedOut(self.client)

    def test_the_absolute_limit_is_explained_on_the_sign_in_page(self) -> None:
        with override_settings(SESSION_ABSOLUTE_LIMIT=2 * 60 * 60):
            self.traveller.shift(2 * 60 * 60 + 1)
            self.assertSignedOut(self.client)
            page = self.client.get(reverse("login"))
        self.assertContains(page, "You were signed out 2 hours after signing in.")

    def test_an_htmx_request_after_the_limit_loads_the_sign_in_page_whole(self) -> None:
        self.traveller.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        response = self.client.get(SITES, headers={"HX-Request": "true"})
        self.assertEqual(response["HX-Redirect"], reverse("login"))

    def test_a_session_missing_from_the_register_is_refused(self) -> None:
        StaffSession.objects.filter(user=self.worker).delete()
        self.assertSignedOut(self.client)
        self.assertContains(self.client.get(reverse("login")), "This session was ended.")

    def test_the_old_cookie_is_dead_after_signing_out(self) -> None:
        """A copy of the cookie taken before sign-out opens nothing (ASVS 7.4.1)."""
        cookie = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        response = self.client.post(reverse("logout"))
        self.assertEqual(response["Clear-Site-Data"], '"cache", "cookies", "storage"')
        self.assertIsNotNone(StaffSession.objects.get(user=self.worker).ended_at)
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = cookie
        self.assertRedirects(thief.get(SITES), SIGN_IN_AGAIN, fetch_redirect_response=False)

    def test_sign_out_only_accepts_post(self) -> None:
        self.assertEqual(self.client.get(reverse("logout")).status_code, 405)
        self.assertEqual(self.client.get(SITES).status_code, 200)

    def test_deactivating_a_member_ends_all_their_sessions(self) -> None:
        """ASVS 7.4.2: two browsers of the worker are both refused."""
        other = StaffClient()
        other.force_login(self.worker)
        admin = make_staff(self.org, "admin", Role.ADMIN, self.site)
        deactivate_member(actor=admin, membership=Membership.objects.get(user=self.worker))
        self.assertSignedOut(self.client)
        self.assertSignedOut(other)
        self.assertFalse(StaffSession.objects.filter(ended_at__isnull=True).exists())

    def test_an_administrator_ending_sessions_signs_the_member_out(self) -> None:
        """ASVS 7.4.5: every session of the member ends; others stay."""
        manager = StaffClient()
        manager.force_login(self.manager)
        admin = make_staff(self.org, "admin", Role.ADMIN, self.site)
        ended = end_sessions_by_admin(
            actor=admin, membership=Membership.objects.get(user=self.worker)
        )
        self.assertEqual(ended, 1)
        self.assertSignedOut(self.client)
        self.assertEqual(manager.get(SITES).status_code, 200)


class SessionKeyTests(BaseTestCase):
    def test_the_session_key_changes_at_sign_in_and_again_at_the_second_factor(self) -> None:
        """ASVS 7.2.4: no key from before sign-in survives it."""
        client = Client()
        session = client.session
        session["visited"] = True
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key or ""
        anonymous_key = session.session_key or ""
        device = make_device(self.worker)
        client.post(
            "/accounts/login/", {"username": "worker", "password": "correct horse battery"}
        )
        password_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.assertNotEqual(password_key, anonymous_key)
        client.post("/account/two-factor/", {"code": code_for(device)})
        verified_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.assertNotIn(verified_key, {anonymous_key, password_key})
        for old in (anonymous_key, password_key):
            thief = Client()
            thief.cookies[settings.SESSION_COOKIE_NAME] = old
            self.assertEqual(thief.get(SITES).status_code, 302)
        self.assertEqual(client.get(SITES).status_code, 200)

    def test_session_keys_are_long_and_random(self) -> None:
        """Django's keys are 32 characters from 36: over 128 bits (ASVS 7.2.3)."""
        client = Client()
        sign_in(client, self.worker, make_device(self.worker))
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.assertEqual(len(key), 32)
        self.assertEqual(len(StaffSession.objects.get(user=self.worker).public_id), 22)


def production_cookie_settings() -> dict[str, object]:
    """The cookie settings config/settings.py derives with SECURE_COOKIES=true."""
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({name: getattr(s, name) for name in ("
        "'SESSION_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_NAME', 'CSRF_COOKIE_SECURE', "
        "'CSRF_COOKIE_HTTPONLY')}))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "cookie-check-only-" + "k" * 40,
        "SECURE_COOKIES": "true",
    }
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


class CookieFlagTests(BaseTestCase):
    def test_with_secure_cookies_the_session_cookie_is_host_only_secure_and_http_only(
        self,
    ) -> None:
        """ASVS 3.3.1-3.3.4: __Host- prefix, Secure, HttpOnly, SameSite=Lax, path /."""
        production = production_cookie_settings()
        self.assertTrue(str(production["SESSION_COOKIE_NAME"]).startswith("__Host-"))
        self.assertTrue(str(production["CSRF_COOKIE_NAME"]).startswith("__Host-"))
        with override_settings(**production):
            client = Client()
            response = client.post(
                "/accounts/login/",
                {"username": "worker", "password": "correct horse battery"},
                secure=True,
            )
            self.assertEqual(response.status_code, 302)
            cookie = response.cookies[str(production["SESSION_COOKIE_NAME"])]
            self.assertIs(bool(cookie["secure"]), True)
            self.assertIs(bool(cookie["httponly"]), True)
            self.assertEqual(cookie["samesite"], "Lax")
            self.assertEqual(cookie["path"], "/")
            self.assertEqual(cookie["domain"], "")
            csrf = Client().get("/accounts/login/", secure=True).cookies
            self.assertIn(production["CSRF_COOKIE_NAME"], csrf)
            csrf_cookie = csrf[str(production["CSRF_COOKIE_NAME"])]
            self.assertIs(bool(csrf_cookie["secure"]), True)
            self.assertIs(bool(csrf_cookie["httponly"]), True)
