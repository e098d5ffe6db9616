"""Home, signing in, the language switch and the site list.

Pages are read in English unless a test switches language, so that text
compares with its source.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from outpost.accounts.tests.factories import code_for, make_device
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_site, make_staff
from outpost.orgs.models import Membership, User

# Session, user, authenticator, session register, membership (twice: the
# session names no organisation), sites.
SITE_LIST_QUERIES = 7


class OrgViewTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


class HomeTests(OrgViewTestCase):
    def test_sends_a_worker_with_a_site_to_that_sites_day(self) -> None:
        """A worker's usual site opens on its today page."""
        self.client.force_login(self.worker)
        response = self.client.get(reverse("home"))
        self.assertRedirects(
            response,
            reverse("contacts:today", args=[self.site.pk]),
            fetch_redirect_response=False,
        )

    def test_sends_staff_without_a_usual_site_to_the_site_list(self) -> None:
        """Without a usual site the person chooses one from the list."""
        roaming = make_staff(self.org, "roaming", Role.OUTREACH_WORKER)
        self.client.force_login(roaming)
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, reverse("orgs:sites"), fetch_redirect_response=False)

    def test_sends_an_anonymous_visitor_to_sign_in(self) -> None:
        """Home asks who you are first."""
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, f"{reverse('login')}?next=/", fetch_redirect_response=False)

    def test_a_user_without_membership_gets_the_no_organisation_page(self) -> None:
        """An account with no role anywhere sees why, with a 403."""
        stranger = User.objects.create_user(username="stranger", password="correct horse battery")
        self.client.force_login(stranger)
        response = self.client.get(reverse("home"))
        self.assertContains(response, "No organisation", status_code=403)
        self.assertTemplateUsed(response, "orgs/no_membership.html")

    def test_a_user_without_membership_is_refused_organisation_pages(self) -> None:
        """Pages that need a role answer 403 to an account without one."""
        stranger = User.objects.create_user(username="stranger", password="correct horse battery")
        self.client.force_login(stranger)
        for url in (
            reverse("orgs:sites"),
            reverse("contacts:today", args=[self.site.pk]),
            reverse("contacts:entry", args=[self.site.pk]),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 403)


class SignInTests(OrgViewTestCase):
    def test_the_sign_in_page_renders(self) -> None:
        """The login page asks for a username and password."""
        response = self.client.get(reverse("login"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="username"')
        self.assertContains(response, 'type="password"')

    def test_signing_in_with_a_demo_like_user_opens_their_day(self) -> None:
        """A social worker gives password and code and lands on their site's today page."""
        demo = make_staff(self.org, "demo", Role.SOCIAL_WORKER, self.site)
        device = make_device(demo)
        response = self.client.post(
            "/accounts/login/", {"username": "demo", "password": "correct horse battery"}
        )
        self.assertRedirects(
            response, reverse("accounts:otp_verify"), fetch_redirect_response=False
        )
        self.assertEqual(int(self.client.session[SESSION_KEY]), demo.pk)
        response = self.client.post(reverse("accounts:otp_verify"), {"code": code_for(device)})
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        response = self.client.get(reverse("home"), follow=True)
        self.assertRedirects(response, reverse("contacts:today", args=[self.site.pk]))

    def test_a_wrong_password_does_not_sign_in(self) -> None:
        """A wrong password shows the form again and starts no session."""
        make_staff(self.org, "demo", Role.SOCIAL_WORKER, self.site)
        response = self.client.post(
            "/accounts/login/", {"username": "demo", "password": "wrong horse battery"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.context["form"].is_valid())
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_signing_in_honours_a_local_next_only(self) -> None:
        """A local next is carried through the second factor; a foreign one is dropped."""
        demo = make_staff(self.org, "demo", Role.SOCIAL_WORKER, self.site)
        device = make_device(demo)
        credentials = {"username": "demo", "password": "correct horse battery"}
        stock_url = reverse("inventory:site", args=[self.site.pk])
        verify_url = reverse("accounts:otp_verify")
        response = self.client.post(f"/accounts/login/?next={stock_url}", credentials)
        self.assertRedirects(
            response,
            f"{verify_url}?next={stock_url.replace('/', '%2F')}",
            fetch_redirect_response=False,
        )
        response = self.client.post(response["Location"], {"code": code_for(device)})
        self.assertRedirects(response, stock_url, fetch_redirect_response=False)
        self.client.logout()
        response = self.client.post(
            "/accounts/login/", {**credentials, "next": "https://evil.example/"}
        )
        self.assertRedirects(response, verify_url, fetch_redirect_response=False)


class LanguageSwitchTests(OrgViewTestCase):
    def test_saves_the_choice_and_shows_the_next_page_in_it(self) -> None:
        """Switching to Russian is kept on the account and the next page is in Russian."""
        self.client.force_login(self.worker)
        today_url = reverse("contacts:today", args=[self.site.pk])

        response = self.client.post(reverse("set_language"), {"language": "ru", "next": today_url})

        self.assertRedirects(response, today_url, fetch_redirect_response=False)
        self.worker.refresh_from_db()
        self.assertEqual(self.worker.language, "ru")
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "ru")
        page = self.client.get(today_url)
        self.assertContains(page, '<html lang="ru">')

    def test_the_saved_language_outlives_the_cookie(self) -> None:
        """The account's language applies even on a device without the cookie."""
        self.client.force_login(self.worker)
        self.client.post(reverse("set_language"), {"language": "ru", "next": "/"})
        self.client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
        page = self.client.get(reverse("contacts:today", args=[self.site.pk]))
        self.assertContains(page, '<html lang="ru">')

    def test_an_anonymous_visitor_gets_the_cookie_only(self) -> None:
        """Before sign-in the choice lives in a cookie."""
        response = self.client.post(reverse("set_language"), {"language": "uk", "next": "/"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "uk")
        page = self.client.get(reverse("login"))
        self.assertContains(page, '<html lang="uk">')

    def test_an_unsafe_next_goes_home_instead(self) -> None:
        """A next on another host is ignored: the switch redirects to /."""
        self.client.force_login(self.worker)
        for unsafe in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
            with self.subTest(next=unsafe):
                response = self.client.post(
                    reverse("set_language"), {"language": "en", "next": unsafe}
                )
                self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_an_unknown_language_is_a_bad_request(self) -> None:
        """A language Outpost does not offer answers 400 and changes nothing."""
        self.client.force_login(self.worker)
        response = self.client.post(reverse("set_language"), {"language": "xx", "next": "/"})
        self.assertEqual(response.status_code, 400)
        self.worker.refresh_from_db()
        self.assertEqual(self.worker.language, "")

    def test_get_is_refused(self) -> None:
        """The switch changes state, so only POST is accepted."""
        response = self.client.get(reverse("set_language"), {"language": "ru"})
        self.assertEqual(response.status_code, 405)


class SiteListTests(OrgViewTestCase):
    def test_lists_only_the_organisations_own_sites(self) -> None:
        """A worker sees org A's sites and never org B's."""
        make_site(self.org, "Kyiv room")
        self.client.force_login(self.worker)
        response = self.client.get(reverse("orgs:sites"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [site.name for site in response.context["sites"]], ["Kyiv room", "Sumy room"]
        )
        self.assertNotContains(response, "Other room")
        self.assertNotContains(response, reverse("contacts:today", args=[self.other_site.pk]))

    def test_an_outsider_sees_only_their_own_sites(self) -> None:
        """Org B staff see org B's site and none of org A's."""
        self.client.force_login(self.outsider)
        response = self.client.get(reverse("orgs:sites"))
        self.assertEqual([site.name for site in response.context["sites"]], ["Other room"])
        self.assertNotContains(response, "Sumy room")

    def test_a_courier_is_refused(self) -> None:
        """A courier has no permission to see the sites: 403."""
        courier = make_staff(self.org, "courier", Role.COURIER, self.site)
        self.client.force_login(courier)
        self.assertEqual(self.client.get(reverse("orgs:sites")).status_code, 403)

    def test_uses_a_fixed_number_of_queries_whatever_the_number_of_sites(self) -> None:
        """More sites do not add queries."""
        self.client.force_login(self.manager)
        with self.assertNumQueries(SITE_LIST_QUERIES):
            self.client.get(reverse("orgs:sites"))
        for number in range(4):
            make_site(self.org, f"Room {number}")
        with self.assertNumQueries(SITE_LIST_QUERIES):
            response = self.client.get(reverse("orgs:sites"))
        self.assertEqual(len(response.context["sites"]), 5)

    def test_staff_of_two_organisations_see_the_sites_of_the_one_they_work_in(self) -> None:
        """A person with roles in two organisations sees one organisation's sites at a time."""
        Membership.objects.create(user=self.worker, org=self.other_org, role=Role.MANAGER)
        self.client.force_login(self.worker)
        response = self.client.get(reverse("orgs:sites"))
        self.assertEqual([site.name for site in response.context["sites"]], ["Sumy room"])


class CourierHomeTests(BaseTestCase):
    def test_a_courier_lands_on_their_deliveries_of_today(self) -> None:
        courier = make_staff(self.org, "courier-home", Role.COURIER, self.site)
        self.client.force_login(courier)
        response = self.client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "My deliveries")
