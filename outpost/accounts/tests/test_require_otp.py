"""A password-only session reaches nothing but the second factor (T6).

Every named URL is read from the resolver, so a page added later is
covered without touching this file.
"""

from django.test import Client, override_settings
from django.urls import reverse

from outpost.accounts.middleware import OPEN_BEFORE_OTP
from outpost.accounts.tests.factories import make_device, sign_in_with_password
from outpost.accounts.tests.routes import all_routes
from outpost.core.tests.base import BaseTestCase
from outpost.orgs.models import Membership, User

VERIFY = "/account/two-factor/"


class PasswordOnlySessionTests(BaseTestCase):
    def samples(self) -> dict[str, object]:
        """Arguments that name real rows of org A, so the gate, not a 404, answers."""
        return {
            "site_id": self.site.pk,
            "client_id": self.anna.pk,
            "pk": self.injecting_kit.pk,
            "membership_id": Membership.objects.get(user=self.worker).pk,
            "session_id": 1,
        }

    def password_only(self, user: User) -> Client:
        make_device(user)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(sign_in_with_password(client, user.get_username()).status_code, 302)
        return client

    def test_every_route_sends_a_password_only_session_to_the_second_factor(self) -> None:
        """For a social worker and a manager: no GET or POST gets past the gate."""
        routes = [r for r in all_routes(self.samples()) if r.name not in OPEN_BEFORE_OTP]
        self.assertGreaterEqual(len(routes), 20)
        for user in (self.worker, self.manager):
            client = self.password_only(user)
            for route in routes:
                for method in ("get", "post"):
                    with self.subTest(user=user.username, route=route.name, method=method):
                        response = getattr(client, method)(route.url)
                        self.assertEqual(response.status_code, 302)
                        self.assertTrue(response["Location"].startswith(VERIFY))

    def test_the_same_routes_open_for_a_verified_session(self) -> None:
        """The gate is what stopped the requests above: verified, the pages open."""
        self.client.force_login(self.manager)
        reached = {
            route.name
            for route in all_routes(self.samples())
            if route.name not in OPEN_BEFORE_OTP and self.client.get(route.url).status_code == 200
        }
        self.assertLessEqual(
            {"orgs:sites", "contacts:today", "contacts:entry", "catalogue:index"}, reached
        )

    def test_the_second_factor_pages_language_and_sign_out_stay_open(self) -> None:
        client = self.password_only(self.worker)
        self.assertEqual(client.get(reverse("accounts:otp_verify")).status_code, 200)
        response = client.post(reverse("set_language"), {"language": "uk", "next": VERIFY})
        self.assertRedirects(response, VERIFY, fetch_redirect_response=False)
        response = client.post(reverse("logout"))
        self.assertRedirects(response, reverse("login"), fetch_redirect_response=False)

    def test_a_page_asked_for_by_htmx_loads_the_second_factor_page_whole(self) -> None:
        client = self.password_only(self.worker)
        response = client.get(reverse("orgs:sites"), headers={"HX-Request": "true"})
        self.assertEqual(response["HX-Redirect"], VERIFY)

    def test_without_an_authenticator_the_gate_leads_to_set_up(self) -> None:
        client = Client()
        sign_in_with_password(client, "worker")
        response = client.get(reverse("orgs:sites"))
        self.assertRedirects(
            response,
            "/account/two-factor/set-up/?next=%2Forgs%2Fsites%2F",
            fetch_redirect_response=False,
        )

    @override_settings(OTP_REQUIRED=False)
    def test_with_the_second_factor_off_the_gate_opens(self) -> None:
        client = Client()
        sign_in_with_password(client, "worker")
        self.assertEqual(client.get(reverse("orgs:sites")).status_code, 200)
