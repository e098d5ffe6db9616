"""Groups, information sessions and trainings, with attendance."""

import datetime
import uuid

import time_machine
from django.utils import timezone

from outpost.core.errors import DomainError
from outpost.core.tests.base import BaseTestCase, make_client
from outpost.modes.actions import change_mode
from outpost.modes.models import Mode
from outpost.room.actions import record_event
from outpost.room.models import Event


class RecordEventTests(BaseTestCase):
    def record(self, **fields: object) -> Event:
        fields.setdefault("kind", Event.Kind.TRAINING)
        fields.setdefault("date", self.site.local_today())
        fields.setdefault("topic", "Overdose prevention with new psychoactive substances")
        fields.setdefault("facilitator", "Peer trainer")
        return record_event(site=self.site, worker=self.worker, **fields)  # type: ignore[arg-type]  # test helper

    def test_attendance_by_code_and_as_a_count(self) -> None:
        event = self.record(clients=[self.anna], anonymous_count=4)
        self.assertEqual(list(event.clients.all()), [self.anna])
        self.assertEqual(event.anonymous_count, 4)

    def test_an_event_with_nobody_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "Record who attended"):
            self.record()
        self.assertFalse(Event.objects.exists())

    def test_an_event_in_the_future_is_refused(self) -> None:
        tomorrow = self.site.local_today() + datetime.timedelta(days=1)
        with self.assertRaisesMessage(DomainError, "once it has taken place"):
            self.record(date=tomorrow, anonymous_count=3)

    def test_a_blank_topic_is_refused(self) -> None:
        with self.assertRaisesMessage(DomainError, "topic"):
            self.record(topic="  ", anonymous_count=3)

    def test_an_event_on_a_day_the_site_was_closed_is_refused(self) -> None:
        yesterday = self.site.local_today() - datetime.timedelta(days=1)
        with time_machine.travel(timezone.now() - datetime.timedelta(days=3)):
            change_mode(site=self.site, manager=self.manager, mode=Mode.CLOSED, reason="Shelling")
        with self.assertRaisesMessage(DomainError, f"Sumy room was closed on {yesterday}"):
            self.record(date=yesterday, anonymous_count=3)
        self.assertFalse(Event.objects.exists())

    def test_an_event_on_the_day_the_site_reopened_is_recorded(self) -> None:
        with time_machine.travel(timezone.now() - datetime.timedelta(days=3)):
            change_mode(site=self.site, manager=self.manager, mode=Mode.CLOSED, reason="Shelling")
        change_mode(site=self.site, manager=self.manager, mode=Mode.REMOTE, reason="Online only")
        self.record(anonymous_count=3)
        self.assertEqual(Event.objects.count(), 1)

    def test_a_client_of_another_organisation_is_refused(self) -> None:
        olga = make_client(self.other_org, self.outsider, mother="Zoryana")
        with self.assertRaisesMessage(DomainError, "not known here"):
            self.record(clients=[olga])
        self.assertFalse(Event.objects.exists())

    def test_a_retried_form_records_once(self) -> None:
        key = uuid.uuid4()
        first = self.record(anonymous_count=3, idempotency_key=key)
        again = self.record(anonymous_count=3, idempotency_key=key)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Event.objects.count(), 1)
