"""The occupancy board: who may open it, what it shows, and its polling."""

import time

from django.urls import reverse

from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.room.actions import add_to_waiting_list, check_in, check_out
from outpost.room.tests.factories import more_clients, restrict

# Session, user, device, staff session, membership (twice), site; then the
# mode and its services inside, protective equipment, who is inside, who
# waits, what awaits disinfection (count and blocking), the day's counts.
BOARD_QUERIES = 15


class BoardViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("room:board", args=[self.site.pk])

    def test_a_social_worker_sees_who_is_inside_and_who_waits(self) -> None:
        restrict(self.site, self.manager)
        boris = more_clients(self.org, self.worker, 1)[0]
        check_in(site=self.site, client=self.anna, worker=self.manager)
        add_to_waiting_list(site=self.site, client=boris, worker=self.manager)
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([s.client for s in response.context["inside"]], [self.anna])
        self.assertEqual([e.client for e in response.context["waiting"]], [boris])
        self.assertContains(response, self.anna.code)
        self.assertContains(response, "I wear a mask and gloves")

    def test_the_board_counts_today_and_what_was_disposed(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.worker)
        check_out(session=session, worker=self.worker, disposed=4)
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertEqual(response.context["day"], {"sessions": 1, "disposed": 4})
        self.assertContains(response, "Today: 1 visit inside; used equipment disposed: 4.")
        self.assertContains(response, "Record disinfection")

    def test_the_waiting_list_shows_the_order_of_arrival_and_who_goes_next(self) -> None:
        restrict(self.site, self.manager)
        check_in(site=self.site, client=self.anna, worker=self.manager)
        boris, clara = more_clients(self.org, self.worker, 2)
        for client in (clara, boris):
            add_to_waiting_list(site=self.site, client=client, worker=self.manager)
        self.client.force_login(self.worker)
        page = self.client.get(self.url).content.decode()
        self.assertLess(page.index(clara.code), page.index(boris.code))
        next_in = f'<input type="hidden" name="code" value="{clara.code}">'
        self.assertIn(next_in, page)
        self.assertNotIn(f'<input type="hidden" name="code" value="{boris.code}">', page)

    def test_an_empty_waiting_list_is_said_outside_a_numbered_list(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(self.url)
        self.assertContains(response, "Nobody is waiting.")
        self.assertInHTML(
            '<p class="muted" data-testid="nobody-waiting">Nobody is waiting.</p>',
            response.content.decode(),
        )
        self.assertNotContains(response, "<ol>")

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_an_me_officer_is_refused(self) -> None:
        officer = make_staff(self.org, "officer", Role.ME_OFFICER, self.site)
        self.client.force_login(officer)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(
            response, f"{reverse('login')}?next={self.url}", fetch_redirect_response=False
        )

    def test_htmx_gets_only_the_occupancy_fragment(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(
            self.url, {"opened": int(time.time())}, headers={"HX-Request": "true"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="occupancy"')
        self.assertNotContains(response, "<html")
        self.assertIn("HX-Request", response.headers["Vary"])

    def test_polling_stops_once_the_screen_was_left_alone_too_long(self) -> None:
        """An unattended board must not keep the session alive for ever."""
        self.client.force_login(self.worker)
        long_ago = int(time.time()) - 3600
        response = self.client.get(self.url, {"opened": long_ago}, headers={"HX-Request": "true"})
        self.assertEqual(response.status_code, 286)

    def test_the_board_costs_the_same_queries_however_full_the_room(self) -> None:
        """In restricted mode, the one that asks the most of the board."""
        restrict(self.site, self.manager, capacity=5)
        self.client.force_login(self.manager)
        self.client.get(self.url)
        with self.assertNumQueries(BOARD_QUERIES):
            self.client.get(self.url)
        clients = more_clients(self.org, self.worker, 4)
        for client in [self.anna, *clients[:2]]:
            check_in(site=self.site, client=client, worker=self.manager)
        for client in clients[2:]:
            add_to_waiting_list(site=self.site, client=client, worker=self.manager)
        with self.assertNumQueries(BOARD_QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["inside"]), 3)
