"""``manage.py verify_audit`` reports the first problem and fails on it."""

import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import TestCase

from outpost.core.audit import audit
from outpost.core.audit_guard import guard_suspended, remove_guard
from outpost.core.models import AuditChainHead, AuditEvent


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


class VerifyAuditCommandTests(TestCase):
    entries: list[AuditEvent]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.entries = [audit(actor_id=None, org_id=1, verb="client.viewed") for _ in range(5)]

    def test_an_intact_trail_passes_and_prints_the_count_time_and_head(self) -> None:
        output = verify()
        total = AuditEvent.objects.count()
        self.assertRegex(output, rf"Checked {total} entries in \d+\.\d\d s")
        last = self.entries[-1]
        self.assertIn(f"Chain head: {last.seq}:{last.hash}", output)
        self.assertIn("The audit trail is intact.", output)

    def test_an_empty_trail_passes(self) -> None:
        with guard_suspended(connection):
            AuditEvent.objects.all().delete()
            AuditChainHead.objects.all().delete()
        self.assertIn("Checked 0 entries", verify())

    def assert_fails(self, message: str, *args: str) -> None:
        with self.assertRaisesMessage(CommandError, message) as caught:
            verify(*args)
        self.assertEqual(caught.exception.returncode, 1)

    def test_an_edited_entry_fails(self) -> None:
        entry = self.entries[2]
        with guard_suspended(connection):
            AuditEvent.objects.filter(pk=entry.pk).update(org_id=2)
        self.assert_fails(f"Entry {entry.seq} does not match its hash")

    def test_a_deleted_entry_fails(self) -> None:
        entry = self.entries[2]
        with guard_suspended(connection):
            AuditEvent.objects.filter(pk=entry.pk).delete()
        self.assert_fails(f"Entry {entry.seq} is missing")

    def test_a_deleted_last_entry_fails(self) -> None:
        entry = self.entries[-1]
        with guard_suspended(connection):
            AuditEvent.objects.filter(pk=entry.pk).delete()
        self.assert_fails(f"Entries {entry.seq} to {entry.seq} are missing from the end")

    def test_an_entry_added_past_the_head_fails(self) -> None:
        head = AuditChainHead.objects.get()
        forged = AuditEvent(seq=head.seq + 1, verb="client.viewed", prev_hash=head.hash)
        forged.hash = forged.compute_hash()
        forged.save(force_insert=True)
        self.assert_fails(f"Entry {forged.seq} is past the chain head")

    def test_a_rewritten_head_fails(self) -> None:
        AuditChainHead.objects.update(hash="0" * 64)
        self.assert_fails("does not match the chain head")

    def test_an_anchor_from_an_earlier_run_must_still_hold(self) -> None:
        entry = self.entries[1]
        verify(f"--anchor={entry.seq}:{entry.hash}")
        self.assert_fails("does not carry the anchored hash", f"--anchor={entry.seq}:{'a' * 64}")
        self.assert_fails("is not in the chain", f"--anchor=999999:{'a' * 64}")
        with self.assertRaises(CommandError):
            verify("--anchor=12:not-a-hash")

    def test_a_missing_guard_fails_even_when_the_chain_holds(self) -> None:
        with transaction.atomic():
            remove_guard(connection)
            self.assert_fails("accepts UPDATE and DELETE")
            transaction.set_rollback(True)
