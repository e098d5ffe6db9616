"""Security headers on every page a manager can open (T8, ASVS 3.4, 14.3).

The crawler reads every named URL from the resolver, so new pages are
checked without touching this file.
"""

import re
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from outpost.accounts.tests.routes import Route, all_routes
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, StaffClient, make_staff
from outpost.orgs.models import Membership

if TYPE_CHECKING:
    # The test client's response type exists only in django-stubs.
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

ONE_YEAR = 31536000
INLINE_CODE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "inline style": re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"\s(hx-)?on[:a-z-]*\s*=", re.IGNORECASE),
}


@override_settings(SECURE_HSTS_SECONDS=ONE_YEAR, SECURE_SSL_REDIRECT=False)
class ResponseHeaderTests(BaseTestCase):
    def routes(self) -> list[Route]:
        return all_routes(
            {
                "site_id": self.site.pk,
                "client_id": self.anna.pk,
                "pk": self.injecting_kit.pk,
                "membership_id": Membership.objects.get(user=self.worker).pk,
                "session_id": 1,
            }
        )

    def assertSecurityHeaders(self, response: "TestResponse", *, signed_in: bool) -> None:
        policy = response["Content-Security-Policy"]
        self.assertNotIn("'unsafe-inline'", policy)
        self.assertNotIn("'unsafe-eval'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertIn("script-src 'self'", policy)
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")
        self.assertEqual(response["X-Frame-Options"], "DENY")
        hsts = response["Strict-Transport-Security"]
        self.assertIn(f"max-age={ONE_YEAR}", hsts)
        self.assertIn("includeSubDomains", hsts)
        if signed_in:
            self.assertIn("no-store", response["Cache-Control"])

    def crawl(self, client: Client) -> dict[str, int]:
        statuses = {}
        for route in self.routes():
            if route.name == "logout":
                continue
            with self.subTest(route=route.name):
                response = client.get(route.url, secure=True)
                self.assertLess(response.status_code, 500)
                self.assertSecurityHeaders(response, signed_in=True)
                statuses[route.name] = response.status_code
        return statuses

    def test_every_page_a_manager_opens_carries_the_headers(self) -> None:
        self.client.force_login(self.manager)
        statuses = self.crawl(self.client)
        self.assertEqual(statuses["orgs:sites"], 200)
        self.assertEqual(statuses["contacts:today"], 200)

    def test_every_page_an_administrator_opens_carries_the_headers(self) -> None:
        admin = StaffClient()
        admin.force_login(make_staff(self.org, "admin", Role.ADMIN, self.site))
        statuses = self.crawl(admin)
        self.assertEqual(statuses["accounts:staff"], 200)
        self.assertEqual(statuses["accounts:sessions"], 200)

    def test_the_sign_in_and_lockout_pages_carry_the_headers_and_no_store(self) -> None:
        client = Client()
        response = client.get(reverse("login"), secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response, signed_in=True)
        for _ in range(5):
            response = client.post(
                reverse("login"), {"username": "worker", "password": "wrong"}, secure=True
            )
        self.assertEqual(response.status_code, 429)
        self.assertSecurityHeaders(response, signed_in=True)

    def test_the_second_factor_pages_are_not_cached(self) -> None:
        client = Client()
        client.post(
            reverse("login"),
            {"username": "worker", "password": "correct horse battery"},
            secure=True,
        )
        for name in ("accounts:otp_enrol", "accounts:otp_verify"):
            with self.subTest(name=name):
                response = client.get(reverse(name), secure=True)
                self.assertSecurityHeaders(response, signed_in=True)

    def test_signing_out_clears_the_browser(self) -> None:
        """ASVS 14.3.1: cache, cookies and storage are cleared at sign-out."""
        self.client.force_login(self.worker)
        response = self.client.post(reverse("logout"), secure=True)
        self.assertEqual(response["Clear-Site-Data"], '"cache", "cookies", "storage"')
        self.assertSecurityHeaders(response, signed_in=True)

    def test_templates_have_no_inline_script_style_or_handler(self) -> None:
        """The CSP refuses inline code, so no template may depend on it."""
        offenders = []
        for template in Path(settings.BASE_DIR, "outpost").rglob("templates/**/*.html"):
            text = template.read_text(encoding="utf-8")
            for name, pattern in INLINE_CODE.items():
                if pattern.search(text):
                    offenders.append(f"{template.relative_to(settings.BASE_DIR)}: {name}")
        self.assertEqual(offenders, [])
