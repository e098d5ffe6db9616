"""Recording a consultation: a contact on its channel, a sealed note, follow-ups."""

import datetime
import uuid
from unittest import mock

import time_machine

from outpost.cases.actions import FollowUpIn, close_case, record_consultation
from outpost.cases.models import NOTE_MAX_LENGTH, Consultation, FollowUp
from outpost.cases.notes import unseal
from outpost.cases.tests.base import NOON, TOMORROW, CasesTestCase
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY
from outpost.modes.models import Mode, ModeChange
from outpost.vault.crypto import encrypt


@time_machine.travel(NOON, tick=False)
class RecordConsultationTests(CasesTestCase):
    def test_a_phone_consultation_is_a_contact_on_the_phone_channel(self) -> None:
        case = self.open_case_for(self.anna)
        consultation = self.consult(case, note="Called about the passport appointment")
        contact = consultation.contact
        self.assertEqual(
            (contact.channel, contact.client, contact.site, contact.date),
            ("phone", self.anna, self.site, TODAY),
        )
        self.assertEqual(unseal(consultation), "Called about the passport appointment")
        self.anna.refresh_from_db()
        self.assertEqual(self.anna.last_contact_date, TODAY)
        verbs = set(AuditEvent.objects.values_list("verb", flat=True))
        self.assertTrue({"contact.recorded", "consultation.recorded"} <= verbs)

    def test_the_note_and_follow_ups_are_stored_as_ciphertext(self) -> None:
        case = self.open_case_for(self.anna)
        consultation = self.consult(
            case,
            note="Lives with Petro on Sadova street",
            follow_ups=[FollowUpIn("Call Petro back", TOMORROW)],
        )
        self.assertNotIn(b"Sadova", bytes(consultation.note or b""))
        follow_up = FollowUp.objects.get()
        self.assertNotIn(b"Petro", bytes(follow_up.action or b""))
        self.assertEqual((unseal(follow_up), follow_up.due_on), ("Call Petro back", TOMORROW))

    def test_a_follow_up_due_in_the_past_is_refused_and_nothing_is_saved(self) -> None:
        case = self.open_case_for(self.anna)
        yesterday = TODAY - datetime.timedelta(1)
        with self.assertRaisesMessage(DomainError, "cannot be due in the past (2026-03-01"):
            self.consult(
                case,
                follow_ups=[FollowUpIn("Call", TOMORROW), FollowUpIn("Visit", yesterday)],
            )
        self.assert_nothing_saved()

    def test_a_consultation_for_a_closed_case_is_refused(self) -> None:
        case = self.open_case_for(self.anna)
        close_case(case=case, worker=self.case_manager, outcome="lost")
        with self.assertRaisesMessage(DomainError, "This case was closed on 2026-03-02"):
            self.consult(case)
        self.assert_nothing_saved()

    def test_a_note_over_the_limit_is_refused_with_its_length(self) -> None:
        case = self.open_case_for(self.anna)
        with self.assertRaisesMessage(DomainError, "at most 1000 characters long; it has 1001"):
            self.consult(case, note="x" * (NOTE_MAX_LENGTH + 1))
        self.assert_nothing_saved()

    def test_a_channel_outside_case_management_is_refused(self) -> None:
        case = self.open_case_for(self.anna)
        with self.assertRaisesMessage(DomainError, "in person, by phone or by messenger"):
            self.consult(case, channel="courier")
        self.assert_nothing_saved()

    def test_the_sites_operating_mode_decides_whether_in_person_is_allowed(self) -> None:
        case = self.open_case_for(self.anna)
        ModeChange.objects.create(
            org=self.org,
            site=self.site,
            mode=Mode.REMOTE,
            reason="Quarantine",
            changed_at=NOON - datetime.timedelta(hours=1),
            changed_by=self.manager,
        )
        with self.assertRaisesMessage(DomainError, "does not allow contacts by Room"):
            self.consult(case, channel="room")
        self.assertEqual(self.consult(case, channel="messenger").contact.channel, "messenger")

    def test_a_retried_request_records_once(self) -> None:
        case = self.open_case_for(self.anna)
        key = uuid.uuid4()

        def submit() -> Consultation:
            return record_consultation(
                case=case,
                worker=self.case_manager,
                channel="messenger",
                topic=self.documents_topic,
                minutes=20,
                follow_ups=[FollowUpIn("Send the address of the clinic", TOMORROW)],
                idempotency_key=key,
            )

        self.assertEqual(submit(), submit())
        self.assertEqual((Contact.objects.count(), FollowUp.objects.count()), (1, 1))

    def test_a_write_failing_after_the_contact_undoes_the_contact_too(self) -> None:
        """The last write (a follow-up's ciphertext) fails, as when the vault
        is locked mid-request: the contact, its audit entry and the client's
        last contact date go with the consultation."""
        case = self.open_case_for(self.anna)
        audited = AuditEvent.objects.count()

        def locked_for_follow_ups(value: str, *, context: str) -> bytes:
            if context.startswith("cases.followup."):
                raise RuntimeError("The vault is locked.")
            return encrypt(value, context=context)

        with (
            mock.patch("outpost.cases.notes.encrypt", side_effect=locked_for_follow_ups),
            self.assertRaisesMessage(RuntimeError, "The vault is locked."),
        ):
            self.consult(case, note="A note", follow_ups=[FollowUpIn("Call", TOMORROW)])
        self.assert_nothing_saved()
        self.assertEqual(AuditEvent.objects.count(), audited)

    def assert_nothing_saved(self) -> None:
        self.assertEqual(Consultation.objects.count(), 0)
        self.assertEqual(FollowUp.objects.count(), 0)
        self.assertEqual(Contact.objects.count(), 0)
        self.assertIsNone(Client.objects.get(pk=self.anna.pk).last_contact_date)
