"""Overdose pages: the one-tap start, the response form, the report, the counts."""

import datetime
import re
import uuid
import zoneinfo

import time_machine
from django.urls import reverse
from django.utils import timezone

from outpost.catalogue.models import Item
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_client, make_staff
from outpost.inventory.models import StockMovement
from outpost.room.actions import check_in, start_incident
from outpost.room.models import OverdoseIncident

# 14:00 at the site in Kyiv.
PINNED = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=datetime.UTC)


class IncidentViewTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.worker)
        self.naloxone = Item.objects.get(org=self.org, category__code="naloxone")

    def url(self, name: str, *args: int) -> str:
        return reverse(f"room:{name}", args=[self.site.pk, *args])

    def local(self, moment: datetime.datetime) -> str:
        return timezone.localtime(moment, zoneinfo.ZoneInfo(self.site.timezone)).strftime(
            "%Y-%m-%dT%H:%M"
        )

    def test_one_tap_opens_an_incident_and_its_form(self) -> None:
        key = str(uuid.uuid4())
        response = self.client.post(self.url("incident_start"), {"idempotency_key": key})
        incident = OverdoseIncident.objects.get()
        self.assertRedirects(response, self.url("incident", incident.pk))
        self.client.post(self.url("incident_start"), {"idempotency_key": key})
        self.assertEqual(OverdoseIncident.objects.count(), 1)

    def test_from_the_board_the_incident_names_the_client_inside(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.worker)
        self.client.post(self.url("incident_start"), {"session": session.pk})
        self.assertEqual(OverdoseIncident.objects.get().client_id, self.anna.pk)
        response = self.client.get(self.url("incident", OverdoseIncident.objects.get().pk))
        self.assertContains(response, self.anna.code)

    def test_the_response_is_saved_and_printed(self) -> None:
        incident = start_incident(site=self.site, worker=self.worker)
        time = self.local(incident.occurred_at)
        response = self.client.post(
            self.url("incident", incident.pk),
            {
                "occurred_at": time,
                "signs": ["unresponsive", "slow_breathing"],
                "naloxone_doses": "2",
                "naloxone_item": self.naloxone.pk,
                "rescue_breathing": "on",
                "ambulance_called_at": time,
                "outcome": "recovered",
            },
        )
        self.assertRedirects(response, self.url("incident_report", incident.pk))
        report = self.client.get(self.url("incident_report", incident.pk))
        self.assertContains(report, "Recovered on site")
        self.assertContains(report, "Unresponsive, Slow or no breathing")
        self.assertContains(report, time.replace("T", " "))
        incident.refresh_from_db()
        self.assertEqual(incident.naloxone_doses, 2)

    def test_an_incident_with_no_time_is_refused(self) -> None:
        incident = start_incident(site=self.site, worker=self.worker)
        response = self.client.post(
            self.url("incident", incident.pk),
            {
                "occurred_at": "",
                "naloxone_doses": "1",
                "naloxone_item": self.naloxone.pk,
                "outcome": "died",
            },
        )
        self.assertContains(response, "Give the time of the overdose.", status_code=422)
        incident.refresh_from_db()
        self.assertEqual((incident.naloxone_doses, incident.outcome), (0, "pending"))

    def test_a_time_years_back_with_the_ambulance_today_is_refused(self) -> None:
        with time_machine.travel(PINNED, tick=False):
            self.client.force_login(self.worker)
            incident = start_incident(site=self.site, worker=self.worker)
            response = self.client.post(
                self.url("incident", incident.pk),
                {
                    "occurred_at": "2001-11-10T11:50",
                    "naloxone_doses": "1",
                    "naloxone_item": self.naloxone.pk,
                    "ambulance_called_at": "2026-11-10T13:55",
                    "ambulance_arrived_at": "2026-11-10T13:58",
                    "outcome": "hospital",
                },
            )
        self.assertContains(
            response,
            "The time of the overdose cannot be more than 7 days before the incident was opened.",
            status_code=422,
        )
        incident.refresh_from_db()
        self.assertEqual(incident.occurred_at, PINNED)
        self.assertEqual((incident.naloxone_doses, incident.outcome), (0, "pending"))
        self.assertIsNone(incident.ambulance_called_at)
        self.assertFalse(StockMovement.objects.filter(kind="dispense").exists())

    def test_the_one_tap_button_carries_a_key_wherever_it_is_shown(self) -> None:
        check_in(site=self.site, client=self.anna, worker=self.worker)
        start = re.escape(self.url("incident_start"))
        hidden = r'name="(idempotency_key|session)" value="([^"]*)"'
        posts = []
        for page in (reverse("room:board", args=[self.site.pk]), self.url("incidents")):
            html = self.client.get(page).content.decode()
            forms = re.findall(rf'<form[^>]*action="{start}".*?</form>', html, re.DOTALL)
            self.assertGreaterEqual(len(forms), 1, page)
            for form in forms:
                fields = dict(re.findall(hidden, form))
                self.assertIn("idempotency_key", fields, form)
                uuid.UUID(fields["idempotency_key"])
                posts.append(fields)
        # The board shows the button in the bar, big, and beside each client inside.
        self.assertTrue(any("session" in fields for fields in posts))
        for fields in posts:
            first = self.client.post(self.url("incident_start"), fields)
            again = self.client.post(self.url("incident_start"), fields)
            self.assertEqual(first["Location"], again["Location"])
        self.assertEqual(OverdoseIncident.objects.count(), len(posts))

    def test_an_unknown_client_code_is_refused(self) -> None:
        incident = start_incident(site=self.site, worker=self.worker)
        response = self.client.post(
            self.url("incident", incident.pk),
            {
                "occurred_at": self.local(incident.occurred_at),
                "code": "ZZZZ101011990",
                "naloxone_doses": "0",
                "outcome": "pending",
            },
        )
        self.assertContains(response, "No client has the code", status_code=422)

    def test_a_client_of_another_organisation_is_not_found_by_code(self) -> None:
        olga = make_client(self.other_org, self.outsider, mother="Zoryana")
        incident = start_incident(site=self.site, worker=self.worker)
        response = self.client.post(
            self.url("incident", incident.pk),
            {
                "occurred_at": self.local(incident.occurred_at),
                "code": olga.code,
                "naloxone_doses": "0",
                "outcome": "recovered",
            },
        )
        self.assertContains(response, f"No client has the code {olga.code}", status_code=422)
        incident.refresh_from_db()
        self.assertEqual((incident.client_id, incident.outcome), (None, "pending"))

    def test_a_session_at_another_organisation_cannot_be_named(self) -> None:
        olga = make_client(self.other_org, self.outsider, mother="Zoryana")
        foreign = check_in(site=self.other_site, client=olga, worker=self.outsider)
        response = self.client.post(self.url("incident_start"), {"session": foreign.pk})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(OverdoseIncident.objects.exists())

    def test_each_look_at_an_incident_naming_a_client_is_audited(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.worker)
        named = start_incident(site=self.site, worker=self.worker, session=session)
        unnamed = start_incident(site=self.site, worker=self.worker)
        self.client.get(self.url("incident", named.pk))
        self.client.get(self.url("incident_report", named.pk))
        self.client.get(self.url("incident_report", unnamed.pk))
        looks = AuditEvent.objects.filter(verb="overdose.viewed")
        self.assertEqual(
            list(looks.values_list("actor_id", "target_id")),
            [(self.worker.pk, named.pk), (self.worker.pk, named.pk)],
        )

    def test_the_list_counts_this_months_overdoses(self) -> None:
        start_incident(site=self.site, worker=self.worker)
        response = self.client.get(self.url("incidents"))
        self.assertEqual(response.context["counts"].incidents, 1)

    def test_an_outsider_gets_404_everywhere(self) -> None:
        incident = start_incident(site=self.site, worker=self.worker)
        self.client.force_login(self.outsider)
        for url in (
            self.url("incident", incident.pk),
            self.url("incident_report", incident.pk),
            self.url("incidents"),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(self.url("incident_start")).status_code, 404)
        self.assertEqual(OverdoseIncident.objects.count(), 1)

    def test_an_me_officer_is_refused(self) -> None:
        self.client.force_login(make_staff(self.org, "officer", Role.ME_OFFICER, self.site))
        self.assertEqual(self.client.post(self.url("incident_start")).status_code, 403)
