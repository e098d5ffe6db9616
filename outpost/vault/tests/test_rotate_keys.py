"""T12 in one process: data-key and master-key rotation (see also the kill test)."""

import datetime
import io
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from outpost.clients.models import ContactDetails
from outpost.core.models import AuditEvent
from outpost.orgs.models import Organisation
from outpost.vault import custody, keys, rotation
from outpost.vault.crypto import blind_index, encrypt, token_key_id
from outpost.vault.keys import create_data_keys, forget_keys, master_key, opens_all
from outpost.vault.models import DataKey
from outpost.vault.rotation import RotationIncomplete, rotate_data_keys
from outpost.vault.tests.factories import (
    make_clients,
    make_contact_details,
    plaintext_digest,
    token,
)


class Interrupted(Exception):
    pass


class RotationTestCase(TestCase):
    rows = 300

    def setUp(self) -> None:
        # No wait for other processes to switch keys: there are none here.
        self.settle = self.enterContext(mock.patch.object(rotation, "sleep"))
        org = Organisation.objects.create(name="Org", slug="org")
        make_contact_details(make_clients(org, self.rows))
        self.old_fields = keys.current_data_key("fields").key_id
        self.old_index = keys.current_data_key("index").key_id
        self.before = plaintext_digest()

    def tokens(self) -> dict[int, bytes]:
        return {
            row.pk: token(row.phone) + token(row.telegram) for row in ContactDetails.objects.all()
        }


class DataKeyRotationTests(RotationTestCase):
    def test_moves_every_field_to_the_new_key_and_retires_the_old(self) -> None:
        report = rotate_data_keys(purposes=["fields"], batch=50)

        new = report.current["fields"]
        self.assertNotEqual(new, self.old_fields)
        self.assertEqual(report.reencrypted, 2 * self.rows)
        for row in ContactDetails.objects.all():
            self.assertEqual(token_key_id(token(row.phone)), new)
            self.assertEqual(token_key_id(token(row.telegram)), new)
        self.assertIsNotNone(DataKey.objects.get(pk=self.old_fields).retired_at)
        # Remove the old key outright: everything still reads, under the new one.
        DataKey.objects.filter(pk=self.old_fields).delete()
        forget_keys()
        self.assertEqual(plaintext_digest(), self.before)

    def test_recomputes_every_blind_index_under_the_new_index_key(self) -> None:
        ciphertext = self.tokens()
        report = rotate_data_keys(purposes=["index"], batch=70)

        self.assertEqual(report.reindexed, 2 * self.rows)
        self.assertEqual(self.tokens(), ciphertext)
        DataKey.objects.filter(pk=self.old_index).delete()
        forget_keys()
        for row in ContactDetails.objects.all():
            self.assertEqual(row.phone_index, blind_index("phone", f"7999{row.pk:07d}"))

    def test_does_not_move_the_updated_stamp_that_retention_reads(self) -> None:
        stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        ContactDetails.objects.update(updated_at=stamp)
        rotate_data_keys(purposes=["fields", "index"])
        self.assertEqual(set(ContactDetails.objects.values_list("updated_at", flat=True)), {stamp})

    def test_finishes_an_interrupted_rotation_instead_of_starting_another(self) -> None:
        def stop_after_first_batch(message: str) -> None:
            raise Interrupted(message)

        with self.assertRaises(Interrupted):
            rotate_data_keys(purposes=["fields"], batch=100, progress=stop_after_first_batch)
        keys_before = DataKey.objects.count()

        report = rotate_data_keys(purposes=["fields"], batch=100)

        self.assertEqual(report.resumed, ["fields"])
        self.assertEqual(report.started, [])
        self.assertEqual(report.reencrypted, 2 * self.rows - 100)
        self.assertEqual(DataKey.objects.count(), keys_before)
        self.assertEqual(plaintext_digest(), self.before)

    def test_picks_up_rows_written_under_the_old_key_while_others_switch(self) -> None:
        def stale_process_writes(seconds: float) -> None:
            # Another process, still holding the old key as current.
            row = ContactDetails.objects.order_by("pk").first()
            assert row is not None
            keys._cache.current["fields"] = (self.old_fields, float("inf"))
            row.phone = encrypt("79990000000", context=ContactDetails.context(row, "phone"))
            row.save()
            del keys._cache.current["fields"]

        self.settle.side_effect = stale_process_writes
        with mock.patch.object(keys, "CURRENT_KEY_TTL", 600.0):
            report = rotate_data_keys(purposes=["fields"])

        self.settle.assert_called_once()
        self.assertEqual(report.reencrypted, 2 * self.rows + 1)
        self.assertEqual(rotation.count_rows_on_old_keys(report.current["fields"]), 0)

    def test_a_row_that_will_not_decrypt_keeps_the_old_key_live(self) -> None:
        row = ContactDetails.objects.order_by("pk").first()
        assert row is not None
        ContactDetails.objects.filter(pk=row.pk).update(
            phone=encrypt("79990000000", context="somewhere else")
        )
        with self.assertRaisesMessage(RotationIncomplete, f"pk={row.pk}"):
            rotate_data_keys(purposes=["fields"])
        self.assertIsNone(DataKey.objects.get(pk=self.old_fields).retired_at)

    def test_each_rotated_purpose_is_audited_once(self) -> None:
        rotate_data_keys(purposes=["fields", "index"])
        self.assertEqual(AuditEvent.objects.filter(verb="vault.keys_rotated").count(), 2)


class RotateKeysCommandTests(RotationTestCase):
    rows = 20

    def test_rotates_all_purposes_by_default(self) -> None:
        out = io.StringIO()
        call_command("rotate_keys", stdout=out)
        self.assertIn("re-encrypted 40 rows, recomputed 40 indexes", out.getvalue())
        self.assertEqual(DataKey.objects.filter(retired_at__isnull=True).count(), 2)

    def test_dry_run_changes_nothing(self) -> None:
        ciphertext = self.tokens()
        out = io.StringIO()
        call_command("rotate_keys", "--dry-run", stdout=out)
        self.assertIn("Would make new fields and index keys", out.getvalue())
        self.assertEqual(self.tokens(), ciphertext)
        self.assertEqual(DataKey.objects.count(), 2)

    def test_says_when_it_finishes_an_interrupted_rotation(self) -> None:
        create_data_keys(["index"])
        out = io.StringIO()
        call_command("rotate_keys", stdout=out)
        self.assertIn("Finishing an interrupted rotation (index)", out.getvalue())
        # Only the interrupted purpose: fields keep their key.
        self.assertIsNone(DataKey.objects.get(pk=self.old_fields).retired_at)

    def test_refuses_while_locked(self) -> None:
        custody.master_key_path().unlink()
        with self.assertRaisesMessage(CommandError, "no master key"):
            call_command("rotate_keys")


class MasterKeyRotationTests(RotationTestCase):
    rows = 20

    def sealed_out(self) -> Path:
        return custody.key_dir().parent / "offline" / "sealed.txt"

    def setUp(self) -> None:
        super().setUp()
        self.sealed_out().parent.mkdir()

    def rotate_master_key(self) -> None:
        call_command(
            "rotate_keys", "--kek", "--sealed-out", str(self.sealed_out()), stdout=io.StringIO()
        )

    def test_rewraps_data_keys_without_touching_any_row(self) -> None:
        ciphertext, old_master = self.tokens(), master_key()
        out = io.StringIO()
        call_command("rotate_keys", "--kek", "--sealed-out", str(self.sealed_out()), stdout=out)

        new_master = custody.master_key_path().read_bytes()
        self.assertNotEqual(new_master, old_master)
        self.assertEqual(custody.unseal(self.sealed_out().read_text()), new_master)
        self.assertIn(str(self.sealed_out()), out.getvalue())
        self.assertEqual(self.tokens(), ciphertext)
        self.assertIs(opens_all(new_master), True)
        self.assertIs(opens_all(old_master), False)
        self.assertEqual(plaintext_digest(), self.before)
        self.assertFalse(custody.next_key_path().exists())
        self.assertEqual(AuditEvent.objects.filter(verb="vault.master_key_rotated").count(), 1)

    def test_needs_a_place_for_the_new_sealed_copy(self) -> None:
        with self.assertRaisesMessage(CommandError, "--sealed-out"):
            call_command("rotate_keys", "--kek")

    def test_finishes_after_a_crash_before_the_database_changed(self) -> None:
        custody.write_new_file(custody.next_key_path(), b"n" * 32)
        self.rotate_master_key()
        self.assertEqual(custody.master_key_path().read_bytes(), b"n" * 32)
        self.assertEqual(plaintext_digest(), self.before)

    def test_finishes_after_a_crash_before_the_key_file_was_replaced(self) -> None:
        new = b"n" * 32
        custody.write_new_file(custody.next_key_path(), new)
        for row in DataKey.objects.all():
            secret = keys.unwrap(master_key(), row.wrapped, purpose=row.purpose, key_id=row.pk)
            row.wrapped = keys.wrap(new, secret, purpose=row.purpose, key_id=row.pk)
            row.save()
        forget_keys()
        self.rotate_master_key()
        self.assertEqual(custody.master_key_path().read_bytes(), new)
        self.assertEqual(plaintext_digest(), self.before)
