"""A shift on the bus: start it, record on the bus, end it with a count."""

import datetime
import uuid

import time_machine
from django.urls import reverse

from outpost.contacts.models import Contact
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.inventory.actions import store_of
from outpost.inventory.models import StockBalance, StockMovement
from outpost.inventory.stocktakes import apply_count, save_counts
from outpost.inventory.transfers import send_transfer
from outpost.outreach.models import Shift, Stop
from outpost.outreach.tests.factories import make_stop, make_unit

MORNING = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 2)


@time_machine.travel(MORNING, tick=False)
class ShiftViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.unit = make_unit(self.site)
        send_transfer(
            source=store_of(self.site),
            destination=self.unit,
            lines=[(self.syringe, 20)],
            worker=self.manager,
            occurred_on=TODAY,
            received_now=True,
        )
        self.stop = make_stop(self.unit, self.manager, TODAY)

    def start(self) -> Shift:
        self.client.force_login(self.worker)
        response = self.client.post(reverse("outreach:shift_start", args=[self.stop.pk]))
        shift = Shift.objects.get()
        self.assertRedirects(response, reverse("outreach:shift", args=[shift.pk]))
        return shift

    def test_today_s_stops_offer_to_start_the_shift(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(reverse("outreach:today", args=[self.site.pk]))
        self.assertContains(response, "Market square")
        self.assertContains(response, "Start shift")

    def test_quick_entry_on_a_shift_records_on_the_bus_channel_and_stock(self) -> None:
        shift = self.start()
        url = reverse("contacts:anonymous", args=[self.site.pk])
        form = self.client.get(url).context["form"]
        self.assertEqual(form.initial["channel"], "mobile_unit")
        self.assertEqual(form.stock_from_default, self.unit)
        self.client.post(
            url,
            {
                "channel": "mobile_unit",
                "syringes_returned": 0,
                f"item_{self.syringe.pk}": 3,
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(Contact.objects.get().channel, "mobile_unit")
        self.assertEqual(StockMovement.objects.get(kind="dispense").location, self.unit)
        page = self.client.get(reverse("outreach:shift", args=[shift.pk]))
        self.assertContains(page, "1 contact on the unit so far.")

    def test_ending_the_shift_leads_to_the_count_whose_differences_are_recorded(self) -> None:
        shift = self.start()
        response = self.client.post(reverse("outreach:shift", args=[shift.pk]))
        shift.refresh_from_db()
        assert shift.stocktake is not None
        self.assertRedirects(
            response,
            reverse("inventory:count_sheet", args=[shift.stocktake.pk]),
            fetch_redirect_response=False,
        )
        form = self.client.get(reverse("contacts:anonymous", args=[self.site.pk])).context["form"]
        self.assertNotEqual(form.initial["channel"], "mobile_unit")
        self.assertNotEqual(form.stock_from_default, self.unit)
        lines = {line.item_id: line.pk for line in shift.stocktake.lines.all()}
        save_counts(
            stocktake=shift.stocktake,
            worker=self.worker,
            counts={pk: 18 if item == self.syringe.pk else 0 for item, pk in lines.items()},
        )
        apply_count(stocktake=shift.stocktake, worker=self.worker, occurred_on=TODAY)
        correction = StockMovement.objects.get(kind="adjustment")
        self.assertEqual((correction.location, correction.quantity), (self.unit, -2))
        self.assertEqual(
            StockBalance.objects.filter(location=self.unit).on_hand_by_item()[self.syringe.pk], 18
        )

    def test_a_role_that_does_not_count_stock_is_told_to_ask_a_colleague(self) -> None:
        shift = self.start()
        case_manager = make_staff(self.org, "case", Role.CASE_MANAGER, self.site)
        shift.staff.add(case_manager)
        self.client.force_login(case_manager)
        response = self.client.post(reverse("outreach:shift", args=[shift.pk]), follow=True)
        self.assertContains(response, "ask a colleague who counts stock")
        shift.refresh_from_db()
        self.assertIs(shift.is_open, True)

    def test_outsiders_get_404_and_roles_without_the_permission_403(self) -> None:
        shift = self.start()
        me_officer = make_staff(self.org, "me", Role.ME_OFFICER, self.site)
        for url in [
            reverse("outreach:today", args=[self.site.pk]),
            reverse("outreach:shift", args=[shift.pk]),
            reverse("outreach:unit", args=[self.unit.pk]),
        ]:
            with self.subTest(url=url):
                self.client.force_login(self.outsider)
                self.assertIn(self.client.get(url).status_code, {403, 404})
                self.client.force_login(me_officer)
                self.assertEqual(self.client.get(url).status_code, 403)
        self.client.force_login(make_staff(self.other_org, "boss-b", Role.MANAGER))
        self.assertEqual(
            self.client.get(reverse("outreach:unit", args=[self.unit.pk])).status_code, 404
        )

    def test_planning_a_stop_in_the_past_says_so_and_saves_nothing(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(
            reverse("outreach:unit", args=[self.unit.pk]),
            {
                "action": "plan",
                "place": "Old depot",
                "date": "2026-03-01",
                "starts": "10:00",
                "ends": "12:00",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertContains(response, "A stop cannot be planned in the past.", status_code=422)
        self.assertFalse(Stop.objects.filter(place="Old depot").exists())

    def test_cancelling_a_stop_that_is_not_named_answers_404(self) -> None:
        self.client.force_login(self.manager)
        url = reverse("outreach:unit", args=[self.unit.pk])
        for stop in ("", "x", str(self.stop.pk + 1000)):
            with self.subTest(stop=stop):
                response = self.client.post(url, {"action": "cancel", "stop": stop})
                self.assertEqual(response.status_code, 404)
        self.assertIs(Stop.objects.get().is_cancelled, False)

    def test_a_stop_of_another_organisation_cannot_be_cancelled_through_this_unit(self) -> None:
        other_unit = make_unit(self.other_site, "Bus B")
        other_stop = make_stop(other_unit, self.outsider, TODAY)
        self.client.force_login(self.manager)
        response = self.client.post(
            reverse("outreach:unit", args=[self.unit.pk]),
            {"action": "cancel", "stop": other_stop.pk},
        )
        self.assertEqual(response.status_code, 404)
        other_stop.refresh_from_db()
        self.assertIs(other_stop.is_cancelled, False)
