"""The "My sessions" page: see and end one's own sessions (ASVS 7.5.2)."""

from django.test import Client
from django.urls import reverse

from outpost.accounts import session_keys
from outpost.accounts.models import StaffSession
from outpost.core.models import AuditEvent
from outpost.core.tests.base import BaseTestCase, StaffClient

SITES = "/orgs/sites/"


class SessionListTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.worker)
        self.phone = StaffClient()
        self.phone.force_login(self.worker)
        # force_login's request carries no browser name; give this one a name.
        StaffSession.objects.filter(pk=self.current(self.phone).pk).update(
            user_agent="Phone browser"
        )

    def current(self, client: Client) -> StaffSession:
        return StaffSession.objects.get(public_id=client.session[session_keys.STAFF_SESSION])

    def test_lists_the_persons_live_sessions_and_marks_this_one(self) -> None:
        StaffClient().force_login(self.manager)
        response = self.client.get(reverse("accounts:sessions"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            {s.pk for s in response.context["sessions"]},
            {self.current(self.client).pk, self.current(self.phone).pk},
        )
        self.assertContains(response, "Phone browser")
        self.assertContains(response, "(this one)")

    def test_ending_another_session_signs_that_browser_out(self) -> None:
        phone_session = self.current(self.phone)
        response = self.client.post(reverse("accounts:session_end", args=[phone_session.pk]))
        self.assertRedirects(response, reverse("accounts:sessions"))
        self.assertEqual(self.phone.get(SITES).status_code, 302)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        self.assertTrue(AuditEvent.objects.filter(verb="session.ended").exists())

    def test_ending_this_session_signs_out_here(self) -> None:
        mine = self.current(self.client)
        response = self.client.post(reverse("accounts:session_end", args=[mine.pk]))
        self.assertRedirects(response, reverse("login"), fetch_redirect_response=False)
        self.assertEqual(self.client.get(SITES).status_code, 302)
        self.assertEqual(self.phone.get(SITES).status_code, 200)

    def test_ending_all_others_keeps_this_one(self) -> None:
        tablet = StaffClient()
        tablet.force_login(self.worker)
        response = self.client.post(reverse("accounts:sessions_end_others"), follow=True)
        self.assertContains(response, "2 other sessions were ended.")
        self.assertEqual(self.client.get(SITES).status_code, 200)
        self.assertEqual(self.phone.get(SITES).status_code, 302)
        self.assertEqual(tablet.get(SITES).status_code, 302)

    def test_someone_elses_session_is_not_found(self) -> None:
        """The outsider cannot end, or learn of, the worker's sessions."""
        outsider = StaffClient()
        outsider.force_login(self.outsider)
        phone_session = self.current(self.phone)
        response = outsider.post(reverse("accounts:session_end", args=[phone_session.pk]))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.phone.get(SITES).status_code, 200)
        self.assertNotContains(outsider.get(reverse("accounts:sessions")), "Phone browser")

    def test_ending_needs_post(self) -> None:
        phone_session = self.current(self.phone)
        response = self.client.get(reverse("accounts:session_end", args=[phone_session.pk]))
        self.assertEqual(response.status_code, 405)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        response = Client().get(reverse("accounts:sessions"))
        self.assertRedirects(
            response,
            "/accounts/login/?next=%2Faccount%2Fsessions%2F",
            fetch_redirect_response=False,
        )
