"""Check-in, check-out, waiting and disinfection from the board's buttons."""

from django.urls import reverse

from outpost.core.tests.base import BaseTestCase
from outpost.room.actions import add_to_waiting_list, check_in, check_out
from outpost.room.models import Disinfection, RoomSession, WaitingEntry
from outpost.room.tests.factories import more_clients, restrict


class RoomViewTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.manager)

    def url(self, name: str, *args: int) -> str:
        return reverse(f"room:{name}", args=[self.site.pk, *args])


class CheckInViewTests(RoomViewTestCase):
    def test_a_known_code_is_checked_in(self) -> None:
        response = self.client.post(self.url("check_in"), {"code": self.anna.code.lower()})
        self.assertRedirects(response, self.url("board"))
        self.assertTrue(RoomSession.objects.inside(self.site).filter(client=self.anna).exists())

    def test_an_unknown_code_is_refused_with_a_message(self) -> None:
        response = self.client.post(self.url("check_in"), {"code": "ZZZZ101011990"})
        self.assertContains(response, "No client has the code ZZZZ101011990", status_code=422)
        self.assertFalse(RoomSession.objects.exists())

    def test_a_full_room_refuses_and_offers_the_waiting_list(self) -> None:
        restrict(self.site, self.manager)
        check_in(site=self.site, client=self.anna, worker=self.manager)
        boris = more_clients(self.org, self.worker, 1)[0]
        response = self.client.post(self.url("check_in"), {"code": boris.code})
        self.assertContains(response, "The room is full", status_code=422)
        self.assertContains(response, f"Put {boris.code} on the waiting list", status_code=422)
        self.client.post(self.url("wait"), {"code": boris.code})
        self.assertTrue(WaitingEntry.objects.filter(client=boris).exists())

    def test_a_client_already_inside_is_refused(self) -> None:
        check_in(site=self.site, client=self.anna, worker=self.manager)
        response = self.client.post(self.url("check_in"), {"code": self.anna.code})
        self.assertContains(response, "is already inside", status_code=422)
        self.assertEqual(RoomSession.objects.count(), 1)

    def test_get_is_not_allowed(self) -> None:
        self.assertEqual(self.client.get(self.url("check_in")).status_code, 405)

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        response = self.client.post(self.url("check_in"), {"code": self.anna.code})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(RoomSession.objects.exists())


class CheckOutViewTests(RoomViewTestCase):
    def test_a_client_leaves_with_what_they_disposed(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.manager)
        response = self.client.post(self.url("check_out", session.pk), {"disposed": "6"})
        self.assertRedirects(response, self.url("board"))
        session.refresh_from_db()
        self.assertEqual(session.disposed, 6)

    def test_checking_out_someone_not_inside_is_refused(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.manager)
        check_out(session=session, worker=self.manager)
        response = self.client.post(self.url("check_out", session.pk), {"disposed": "1"})
        self.assertContains(response, "is not inside", status_code=422)

    def test_a_bad_count_is_refused(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.manager)
        response = self.client.post(self.url("check_out", session.pk), {"disposed": "-3"})
        self.assertEqual(response.status_code, 422)
        self.assertTrue(RoomSession.objects.inside(self.site).exists())

    def test_a_count_out_of_range_is_refused_with_the_range(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.manager)
        for count in ("-3", "5000", "many"):
            with self.subTest(count=count):
                response = self.client.post(self.url("check_out", session.pk), {"disposed": count})
                self.assertContains(
                    response, "Disposed equipment must be between 0 and 1000.", status_code=422
                )
        self.assertTrue(RoomSession.objects.inside(self.site).exists())

    def test_an_outsider_gets_404(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.manager)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(self.url("check_out", session.pk)).status_code, 404)
        self.assertTrue(RoomSession.objects.inside(self.site).exists())


class DisinfectionAndWaitingViewTests(RoomViewTestCase):
    def test_a_disinfection_with_no_session_is_refused(self) -> None:
        response = self.client.post(self.url("disinfect"))
        self.assertContains(response, "nothing to record", status_code=422)
        self.assertFalse(Disinfection.objects.exists())

    def test_a_disinfection_after_a_client_left_is_recorded(self) -> None:
        check_out(
            session=check_in(site=self.site, client=self.anna, worker=self.manager),
            worker=self.manager,
        )
        self.assertRedirects(self.client.post(self.url("disinfect")), self.url("board"))
        self.assertEqual(Disinfection.objects.count(), 1)

    def test_a_client_who_went_away_is_taken_off_the_list(self) -> None:
        entry = add_to_waiting_list(site=self.site, client=self.anna, worker=self.manager)
        self.client.post(self.url("wait_remove", entry.pk))
        entry.refresh_from_db()
        self.assertEqual(entry.status, WaitingEntry.Status.LEFT)
        response = self.client.post(self.url("wait_remove", entry.pk))
        self.assertContains(response, "no longer on the waiting list", status_code=422)

    def test_an_outsider_gets_404(self) -> None:
        entry = add_to_waiting_list(site=self.site, client=self.anna, worker=self.manager)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(self.url("disinfect")).status_code, 404)
        self.assertEqual(self.client.post(self.url("wait_remove", entry.pk)).status_code, 404)
        self.assertEqual(self.client.post(self.url("wait"), {"code": "x"}).status_code, 404)
