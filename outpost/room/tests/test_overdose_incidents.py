"""Overdose response: one tap opens it, the details follow, naloxone leaves stock."""

import datetime
import uuid

import time_machine
from django.db.models import Sum
from django.utils import timezone

from outpost.catalogue.models import Item
from outpost.contacts.actions import Handout, record_contact
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.tests.base import BaseTestCase
from outpost.inventory.actions import store_of
from outpost.inventory.models import StockBalance, StockMovement
from outpost.room.actions import Response, check_in, record_response, start_incident
from outpost.room.models import OverdoseIncident

Outcome = OverdoseIncident.Outcome


class OverdoseTestCase(BaseTestCase):
    naloxone: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.naloxone = Item.objects.get(org=cls.org, category__code="naloxone")

    def on_hand(self, item: Item) -> int:
        rows = StockBalance.objects.filter(location=store_of(self.site), item=item)
        return int(rows.aggregate(total=Sum("quantity"))["total"] or 0)

    def respond(self, incident: OverdoseIncident, **fields: object) -> OverdoseIncident:
        fields.setdefault("occurred_at", incident.occurred_at)
        return record_response(
            incident=incident,
            worker=self.worker,
            response=Response(**fields),  # type: ignore[arg-type]  # test helper
        )


class StartIncidentTests(OverdoseTestCase):
    def test_one_tap_opens_an_incident_now(self) -> None:
        before = timezone.now()
        incident = start_incident(site=self.site, worker=self.worker)
        self.assertGreaterEqual(incident.occurred_at, before)
        self.assertEqual(incident.outcome, Outcome.PENDING)
        self.assertEqual(incident.date, self.site.local_date(incident.occurred_at))

    def test_from_the_board_the_client_inside_is_named(self) -> None:
        session = check_in(site=self.site, client=self.anna, worker=self.worker)
        incident = start_incident(site=self.site, worker=self.worker, session=session)
        self.assertEqual(incident.client_id, self.anna.pk)

    def test_a_double_tap_opens_one_incident(self) -> None:
        key = uuid.uuid4()
        first = start_incident(site=self.site, worker=self.worker, idempotency_key=key)
        again = start_incident(site=self.site, worker=self.worker, idempotency_key=key)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(OverdoseIncident.objects.count(), 1)


class RecordResponseTests(OverdoseTestCase):
    def setUp(self) -> None:
        self.incident = start_incident(site=self.site, worker=self.worker)

    def test_naloxone_given_is_taken_from_the_store(self) -> None:
        called = self.incident.occurred_at + datetime.timedelta(minutes=2)
        saved = self.respond(
            self.incident,
            signs=["unresponsive", "blue_lips"],
            naloxone_item=self.naloxone,
            naloxone_doses=2,
            rescue_breathing=True,
            ambulance_called_at=called,
            ambulance_arrived_at=called + datetime.timedelta(minutes=15),
            outcome=Outcome.HOSPITAL,
        )
        self.assertEqual(self.on_hand(self.naloxone), 98)
        self.assertEqual(saved.stock_movements.get().quantity, -2)
        self.assertEqual(saved.sign_labels(), ["Unresponsive", "Blue lips or nails"])

    def test_saving_again_takes_only_the_new_doses(self) -> None:
        self.respond(self.incident, naloxone_item=self.naloxone, naloxone_doses=1)
        self.respond(self.incident, naloxone_item=self.naloxone, naloxone_doses=1)
        self.respond(self.incident, naloxone_item=self.naloxone, naloxone_doses=3)
        self.assertEqual(self.on_hand(self.naloxone), 97)

    def test_doses_already_taken_cannot_go_down(self) -> None:
        self.respond(self.incident, naloxone_item=self.naloxone, naloxone_doses=2)
        with self.assertRaisesMessage(DomainError, "2 doses were already taken"):
            self.respond(self.incident, naloxone_item=self.naloxone, naloxone_doses=1)
        self.assertEqual(self.on_hand(self.naloxone), 98)

    def test_an_incident_with_no_time_is_refused_and_nothing_changes(self) -> None:
        with self.assertRaisesMessage(DomainError, "Give the time of the overdose."):
            self.respond(
                self.incident,
                occurred_at=None,
                naloxone_item=self.naloxone,
                naloxone_doses=1,
                outcome=Outcome.RECOVERED,
            )
        self.incident.refresh_from_db()
        self.assertEqual(self.incident.outcome, Outcome.PENDING)
        self.assertEqual(self.on_hand(self.naloxone), 100)

    def test_naloxone_short_in_stock_saves_nothing(self) -> None:
        record_contact(
            site=self.site,
            worker=self.worker,
            channel=Channel.WINDOW,
            client=self.anna,
            handout=Handout(items=[(self.naloxone, 99)]),
        )
        with self.assertRaisesMessage(DomainError, "Not enough"):
            self.respond(
                self.incident,
                naloxone_item=self.naloxone,
                naloxone_doses=2,
                outcome=Outcome.RECOVERED,
            )
        self.incident.refresh_from_db()
        self.assertEqual(self.incident.naloxone_doses, 0)
        self.assertEqual(self.incident.outcome, Outcome.PENDING)
        self.assertEqual(self.on_hand(self.naloxone), 1)

    def test_the_ambulance_cannot_arrive_before_it_was_called(self) -> None:
        called = self.incident.occurred_at + datetime.timedelta(minutes=5)
        with self.assertRaisesMessage(DomainError, "cannot arrive before it was called"):
            self.respond(
                self.incident,
                ambulance_called_at=called,
                ambulance_arrived_at=called - datetime.timedelta(minutes=1),
            )
        with self.assertRaisesMessage(DomainError, "time the ambulance was called"):
            self.respond(self.incident, ambulance_arrived_at=called)

    def test_an_item_that_is_not_naloxone_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "not naloxone"):
            self.respond(self.incident, naloxone_item=self.syringe, naloxone_doses=1)
        self.assertFalse(StockMovement.objects.filter(kind="dispense").exists())

    def test_doses_need_the_naloxone_named(self) -> None:
        with self.assertRaisesMessage(DomainError, "Choose the naloxone"):
            self.respond(self.incident, naloxone_doses=1)

    def test_a_time_in_the_future_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "cannot be in the future"):
            self.respond(self.incident, occurred_at=timezone.now() + datetime.timedelta(hours=1))

    def test_a_time_more_than_a_week_before_the_incident_was_opened_is_refused(self) -> None:
        opened = self.incident.recorded_at
        with self.assertRaisesMessage(DomainError, "more than 7 days before"):
            self.respond(self.incident, occurred_at=opened - datetime.timedelta(days=7, minutes=1))
        self.incident.refresh_from_db()
        self.assertEqual(self.incident.date, self.site.local_date(opened))
        earlier = opened - datetime.timedelta(days=6)
        self.assertEqual(self.respond(self.incident, occurred_at=earlier).occurred_at, earlier)

    def test_the_outcome_can_still_be_completed_weeks_later(self) -> None:
        with time_machine.travel(timezone.now() + datetime.timedelta(days=30)):
            saved = self.respond(self.incident, outcome=Outcome.HOSPITAL)
        self.assertEqual(saved.outcome, Outcome.HOSPITAL)

    def test_the_ambulance_cannot_be_called_before_the_overdose(self) -> None:
        before = self.incident.occurred_at - datetime.timedelta(minutes=10)
        with self.assertRaisesMessage(DomainError, "cannot be called before the overdose"):
            self.respond(self.incident, ambulance_called_at=before)
        self.incident.refresh_from_db()
        self.assertIsNone(self.incident.ambulance_called_at)

    def test_an_unknown_sign_or_outcome_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "signs"):
            self.respond(self.incident, signs=["sneezing"])
        with self.assertRaisesMessage(DomainError, "outcome"):
            self.respond(self.incident, outcome="fine")
