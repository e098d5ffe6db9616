"""The mode page, opening hours and the protective-equipment confirmation."""

from django.urls import reverse

from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.modes.actions import change_mode
from outpost.modes.models import ModeChange, PpeConfirmation
from outpost.orgs.models import OpeningHours, User


def outside_manager(case: BaseTestCase) -> User:
    """The outsider's manager: allowed the page, but not this organisation's site."""
    return make_staff(case.other_org, "manager-b", Role.MANAGER, case.other_site)


class ModePageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("modes:site", args=[self.site.pk])

    def test_a_manager_switches_the_site_to_restricted_mode(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(
            self.url,
            {"mode": "restricted", "reason": "COVID-19", "services_inside": [self.counselling.pk]},
        )
        self.assertRedirects(response, self.url)
        change = ModeChange.objects.get()
        self.assertEqual(
            (change.mode, change.capacity, change.reason), ("restricted", 1, "COVID-19")
        )
        page = self.client.get(self.url)
        self.assertContains(page, "Restricted")
        self.assertContains(page, "Disinfection is recorded after each client inside")

    def test_the_history_lists_every_change(self) -> None:
        for mode in ("restricted", "remote", "normal"):
            change_mode(site=self.site, manager=self.manager, mode=mode, reason=f"to {mode}")
        self.client.force_login(self.manager)
        response = self.client.get(self.url)
        self.assertEqual(len(response.context["history"]), 3)
        self.assertContains(response, "to remote")

    def test_a_change_without_a_reason_is_refused(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(self.url, {"mode": "closed", "reason": ""})
        self.assertEqual(response.status_code, 422)
        self.assertFalse(ModeChange.objects.exists())

    def test_the_mode_already_in_force_is_refused_with_a_message(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(self.url, {"mode": "normal", "reason": "Back to normal"})
        self.assertContains(response, "Sumy room is already in normal mode", status_code=422)
        self.assertFalse(ModeChange.objects.exists())

    def test_a_social_worker_is_refused(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_a_manager_of_another_organisation_gets_404(self) -> None:
        self.client.force_login(outside_manager(self))
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(
            self.client.post(self.url, {"mode": "closed", "reason": "x"}).status_code, 404
        )
        self.assertFalse(ModeChange.objects.exists())


class OpeningHoursPageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("modes:hours", args=[self.site.pk])

    def test_a_manager_sets_monday_to_friday(self) -> None:
        self.client.force_login(self.manager)
        data = {}
        for day in range(5):
            data[f"opens_{day}"] = "10:00"
            data[f"closes_{day}"] = "16:00"
        response = self.client.post(self.url, data)
        self.assertRedirects(response, reverse("modes:site", args=[self.site.pk]))
        self.assertEqual(OpeningHours.objects.filter(site=self.site).count(), 5)
        self.assertContains(self.client.get(self.url), 'value="10:00"')

    def test_half_a_day_or_closing_before_opening_is_refused(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(
            self.url, {"opens_0": "10:00", "opens_1": "16:00", "closes_1": "10:00"}
        )
        self.assertContains(response, "Give both times, or neither.", status_code=422)
        self.assertContains(response, "Closing comes after opening.", status_code=422)
        self.assertFalse(OpeningHours.objects.exists())

    def test_a_time_that_cannot_be_read_says_so_on_its_field(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(self.url, {"opens_0": "ten", "closes_0": "16:00"})
        self.assertContains(response, "Enter a valid time.", status_code=422)
        self.assertNotContains(response, "Give both times, or neither.", status_code=422)
        self.assertFalse(OpeningHours.objects.exists())

    def test_a_manager_of_another_organisation_gets_404(self) -> None:
        self.client.force_login(outside_manager(self))
        self.assertEqual(self.client.get(self.url).status_code, 404)


class ProtectiveEquipmentViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.url = reverse("modes:ppe", args=[self.site.pk])

    def test_a_worker_confirms_once_a_day_and_goes_back(self) -> None:
        self.client.force_login(self.worker)
        board = reverse("room:board", args=[self.site.pk])
        self.assertRedirects(self.client.post(self.url, {"next": board}), board)
        self.client.post(self.url)
        self.assertEqual(PpeConfirmation.objects.filter(worker=self.worker).count(), 1)

    def test_a_foreign_next_address_is_ignored(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url, {"next": "https://evil.example/"})
        self.assertRedirects(
            response, reverse("contacts:entry", args=[self.site.pk]), fetch_redirect_response=False
        )

    def test_an_outsider_gets_404(self) -> None:
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.assertFalse(PpeConfirmation.objects.exists())
