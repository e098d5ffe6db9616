import datetime

import time_machine
from django.test import Client as PlainClient
from django.urls import reverse

from outpost.core.tests.base import BaseTestCase
from outpost.modes.actions import change_mode
from outpost.modes.models import Mode
from outpost.orgs.models import OpeningHours
from outpost.outreach.tests.factories import make_stop, make_unit

MORNING = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 2)


@time_machine.travel(MORNING, tick=False)
class WhereAndWhenTests(BaseTestCase):
    def setUp(self) -> None:
        self.unit = make_unit(self.site, "Bus 1")
        make_stop(self.unit, self.manager, TODAY, "Market square")
        make_stop(self.unit, self.manager, TODAY + datetime.timedelta(3), "Railway station")
        make_stop(self.unit, self.manager, TODAY + datetime.timedelta(9), "Far future")
        make_stop(self.unit, self.manager, TODAY - datetime.timedelta(1), "Yesterday")
        OpeningHours.objects.create(
            site=self.site, weekday=0, opens=datetime.time(10), closes=datetime.time(18)
        )
        self.visitor = PlainClient()

    def test_anyone_sees_today_s_and_this_week_s_stops_hours_and_mode(self) -> None:
        response = self.visitor.get(reverse("public:where", args=[self.org.slug]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [stop.place for stop in response.context["table"].stops_today], ["Market square"]
        )
        self.assertEqual(
            [stop.place for stop in response.context["table"].stops_week],
            ["Market square", "Railway station"],
        )
        self.assertContains(response, "Sumy room")
        self.assertContains(response, "Open as usual.")
        self.assertContains(response, "10:00–18:00")

    def test_the_json_carries_the_same_and_may_be_cached_briefly(self) -> None:
        change_mode(site=self.site, manager=self.manager, mode=Mode.REMOTE, reason="Quarantine")
        response = self.visitor.get(reverse("public:where_json", args=[self.org.slug]))
        data = response.json()
        self.assertEqual(data["today"], "2026-03-02")
        self.assertEqual(
            data["stops_today"],
            [
                {
                    "unit": "Bus 1",
                    "place": "Market square",
                    "latitude": None,
                    "longitude": None,
                    "date": "2026-03-02",
                    "starts": "10:00",
                    "ends": "14:00",
                    "cancelled": False,
                }
            ],
        )
        self.assertEqual(data["sites"][0]["mode"], "remote")
        self.assertIn("public", response["Cache-Control"])
        self.assertIn("max-age=300", response["Cache-Control"])
        self.assertNotIn("Set-Cookie", response.headers)

    def test_it_shows_no_client_code_no_staff_name_and_no_reason_for_a_mode(self) -> None:
        change_mode(site=self.site, manager=self.manager, mode=Mode.REMOTE, reason="Raid at 5")
        for name in ("public:where", "public:where_json"):
            body = self.visitor.get(reverse(name, args=[self.org.slug])).content.decode()
            with self.subTest(page=name):
                self.assertIn("Market square", body)
                self.assertNotIn(self.anna.code, body)
                self.assertNotIn("Raid at 5", body)
                for username in ("manager", "worker"):
                    self.assertNotIn(username, body)

    def test_a_signed_in_visitor_gets_json_no_cache_may_keep_and_no_cookie(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(reverse("public:where_json", args=[self.org.slug]))
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertNotIn("public", response["Cache-Control"])
        self.assertNotIn("Set-Cookie", response.headers)

    def test_an_unknown_organisation_answers_404(self) -> None:
        self.assertEqual(self.visitor.get("/where/nobody/").status_code, 404)

    def test_a_signed_in_visitor_gets_a_page_that_is_not_stored(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(reverse("public:where", args=[self.org.slug]))
        self.assertIn("no-store", response["Cache-Control"])

    def test_the_page_costs_the_same_with_few_or_many_stops(self) -> None:
        url = reverse("public:where_json", args=[self.org.slug])
        with self.assertNumQueries(self.QUERIES):
            self.visitor.get(url)
        for hour in range(10, 16):
            make_stop(
                self.unit,
                self.manager,
                TODAY,
                "More",
                datetime.time(hour),
                datetime.time(hour + 1),
            )
        with self.assertNumQueries(self.QUERIES):
            self.visitor.get(url)

    QUERIES = 5
