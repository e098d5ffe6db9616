"""A step of care a service reports back without a referral from here."""

import datetime
import uuid

import time_machine

from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, BaseTestCase, make_client
from outpost.testing.actions import record_outcome
from outpost.testing.models import Milestone
from outpost.testing.tests.base import NOON


@time_machine.travel(NOON, tick=False)
class RecordOutcomeTests(BaseTestCase):
    def test_records_the_outcome_on_its_date_and_audits_it(self) -> None:
        outcome = record_outcome(
            site=self.site,
            worker=self.worker,
            client=self.anna,
            kind=Milestone.Kind.HCV_VIRAEMIC,
            occurred_on=TODAY - datetime.timedelta(3),
        )
        self.assertEqual(
            (outcome.client_id, outcome.kind, outcome.occurred_on, outcome.referral),
            (self.anna.pk, "hcv_viraemic", datetime.date(2026, 2, 27), None),
        )
        self.assertTrue(
            AuditEvent.objects.filter(verb="outcome.recorded", target_id=outcome.pk).exists()
        )

    def test_a_retried_form_records_the_outcome_once(self) -> None:
        key = uuid.uuid4()
        for _ in range(2):
            record_outcome(
                site=self.site,
                worker=self.worker,
                client=self.anna,
                kind=Milestone.Kind.HIV_CONFIRMED,
                occurred_on=TODAY,
                idempotency_key=key,
            )
        self.assertEqual(Milestone.objects.count(), 1)

    def test_refuses_a_date_after_today_and_saves_nothing(self) -> None:
        with self.assertRaisesMessage(DomainError, "That date is later than today."):
            record_outcome(
                site=self.site,
                worker=self.worker,
                client=self.anna,
                kind=Milestone.Kind.HIV_CONFIRMED,
                occurred_on=TODAY + datetime.timedelta(1),
            )
        self.assertEqual(Milestone.objects.count(), 0)

    def test_refuses_a_client_of_another_organisation(self) -> None:
        stranger = make_client(self.other_org, self.outsider, mother="Maria")
        with self.assertRaisesMessage(DomainError, "That client is not known here."):
            record_outcome(
                site=self.site,
                worker=self.worker,
                client=stranger,
                kind=Milestone.Kind.HIV_CONFIRMED,
                occurred_on=TODAY,
            )
        self.assertEqual(Milestone.objects.count(), 0)
