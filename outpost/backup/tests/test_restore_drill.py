"""T20: the backup and verified restore drill (docs/security.md)."""

import datetime
import io
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import override_settings

from outpost.backup import actions
from outpost.backup.archive import file_sha256, sidecar_path, write_sidecar
from outpost.backup.engines import Engine, Fingerprint, TableDigest
from outpost.backup.tests.base import CANARY, LiveDatabaseTestCase, build_reference_dataset
from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.vault.testing import vault_in

CLIENTS = 200
CONTACTS = 2000
RECORDED = 200


class RestoreDrillTests(LiveDatabaseTestCase):
    """Back up a reference dataset once; each test restores or attacks it."""

    backup: Path
    backup_output: str

    @classmethod
    def setUpLiveData(cls) -> None:
        cls.enterClassContext(override_settings(BACKUP_DIR=cls.work / "backups"))
        build_reference_dataset(clients=CLIENTS, contacts=CONTACTS, recorded=RECORDED)
        out = io.StringIO()
        call_command("backup", stdout=out)
        cls.backup_output = out.getvalue()
        (cls.backup,) = (cls.work / "backups").glob("*.backup")

    def target(self, label: str) -> str:
        """A fresh restore target that the test removes if the code did not."""
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            name = f"{self.live_name}_r{label}"
        else:
            name = str(self.work / f"restored-{label}.sqlite3")
        self.addCleanup(self.engine().drop, name)
        return name

    def restore(self, path: Path, *args: str) -> str:
        out = io.StringIO()
        call_command("restore", str(path), *args, stdout=out)
        return out.getvalue()

    def tampered_copy(self) -> Path:
        folder = Path(tempfile.mkdtemp(dir=self.work))
        copy = folder / self.backup.name
        shutil.copyfile(self.backup, copy)
        shutil.copyfile(sidecar_path(self.backup), sidecar_path(copy))
        with copy.open("r+b") as f:
            f.seek(copy.stat().st_size // 2)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0x01]))
        return copy

    def assert_no_plaintext_left(self) -> None:
        leftovers = [
            p.name
            for p in (self.work / "backups").iterdir()
            if p.suffix not in {".backup", ".sha256"}
        ]
        self.assertEqual(leftovers, [])

    def test_the_backup_is_one_encrypted_file_with_its_checksum(self) -> None:
        backups = self.work / "backups"
        self.assertEqual(
            sorted(p.name for p in backups.iterdir()),
            [self.backup.name, sidecar_path(self.backup).name],
        )
        self.assertRegex(self.backup.name, r"\Aoutpost-\d{8}-\d{6}\.backup\Z")
        self.assertEqual(backups.stat().st_mode & 0o777, 0o700)
        self.assertEqual(self.backup.stat().st_mode & 0o777, 0o600)
        self.assertIn(self.backup.name, self.backup_output)
        self.assertRegex(self.backup_output, r"tables: \d+ \(\d+ rows\)")
        self.assertRegex(self.backup_output, r"time: \d+\.\d s")

    def test_restore_verifies_every_table_and_drops_the_copy(self) -> None:
        target = self.target("verify")
        output = self.restore(self.backup, "--verify", "--into", target)
        self.assertIn("verified:", output)
        self.assertRegex(output, r"restore time \d+\.\d s")
        self.assertRegex(output, rf"clients_client\s+{CLIENTS}\s+{CLIENTS}\s+ok")
        self.assertRegex(output, rf"contacts_contact\s+{CONTACTS}\s+{CONTACTS}\s+ok")
        self.assertIn(f"Restored copy dropped: {target}", output)
        self.assertFalse(self.engine().exists(target))
        self.assert_no_plaintext_left()

    def test_a_kept_copy_has_exactly_the_live_data(self) -> None:
        target = self.target("keep")
        self.restore(self.backup, "--verify", "--keep", "--into", target)
        engine = self.engine()
        self.assertTrue(engine.exists(target))
        restored = engine.fingerprint(target)
        self.assertEqual(restored, engine.fingerprint(self.live_name))
        self.assertEqual(restored["clients_client"].rows, Client.objects.count())
        self.assertEqual(restored["contacts_contact"].rows, Contact.objects.count())

    def test_a_wrong_master_key_fails_closed_and_restores_nothing(self) -> None:
        target = self.target("wrongkey")
        other_keys = self.work / "other-keys"
        with (
            vault_in(other_keys),
            self.assertRaisesMessage(CommandError, "different master key") as cm,
        ):
            self.restore(self.backup, "--verify", "--into", target)
        self.assertEqual(cm.exception.returncode, 1)
        self.assertFalse(self.engine().exists(target))
        self.assert_no_plaintext_left()

    def test_a_flipped_byte_fails_the_checksum(self) -> None:
        target = self.target("flip")
        with self.assertRaisesMessage(CommandError, "does not match its checksum"):
            self.restore(self.tampered_copy(), "--verify", "--into", target)
        self.assertFalse(self.engine().exists(target))

    def test_a_flipped_byte_with_a_matching_checksum_fails_the_gcm_tag(self) -> None:
        target = self.target("forged")
        copy = self.tampered_copy()
        write_sidecar(copy, file_sha256(copy))
        with self.assertRaisesMessage(CommandError, "failed authentication"):
            self.restore(copy, "--verify", "--into", target)
        self.assertFalse(self.engine().exists(target))
        self.assert_no_plaintext_left()

    def test_the_canary_never_appears_in_the_backup_file(self) -> None:
        self.assertTrue(Item.objects.filter(name=CANARY).exists())
        raw = self.backup.read_bytes()
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            self.assertNotIn(CANARY.encode(encoding), raw)
        self.assertNotIn(CANARY.encode(), sidecar_path(self.backup).read_bytes())

    def test_restore_refuses_the_live_database_as_its_target(self) -> None:
        before = self.engine().fingerprint(self.live_name)
        with self.assertRaisesMessage(CommandError, "nothing was restored"):
            self.restore(self.backup, "--verify", "--into", self.live_name)
        self.assertEqual(self.engine().fingerprint(self.live_name), before)

    def test_a_restore_that_differs_from_the_manifest_fails_and_drops_the_copy(self) -> None:
        real_manifest = actions._manifest

        def off_by_one(engine: Engine, made_at: datetime.datetime, tables: Fingerprint) -> bytes:
            contacts = tables["contacts_contact"]
            skewed = TableDigest(rows=contacts.rows + 1, sha256=contacts.sha256)
            return real_manifest(engine, made_at, {**tables, "contacts_contact": skewed})

        out_dir = self.work / "skewed"
        with mock.patch.object(actions, "_manifest", off_by_one):
            call_command("backup", "--out", str(out_dir), stdout=io.StringIO())
        (skewed,) = out_dir.glob("*.backup")
        target = self.target("skewed")
        out = io.StringIO()
        with self.assertRaisesMessage(CommandError, "NOT verified: 1 of"):
            call_command("restore", str(skewed), "--verify", "--into", target, stdout=out)
        self.assertRegex(out.getvalue(), r"contacts_contact\s+\d+\s+\d+\s+ROW COUNT DIFFERS")
        self.assertFalse(self.engine().exists(target))

    def test_a_backup_without_its_checksum_file_is_refused(self) -> None:
        folder = Path(tempfile.mkdtemp(dir=self.work))
        shutil.copyfile(self.backup, folder / self.backup.name)
        with self.assertRaisesMessage(CommandError, ".sha256 is missing"):
            self.restore(folder / self.backup.name, "--verify")

    def test_a_backup_is_refused_by_a_server_of_the_other_database_engine(self) -> None:
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            other = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(self.work / "x.sqlite3")}
        else:
            other = {"ENGINE": "django.db.backends.postgresql", "NAME": "never_created"}
        with self.assertRaisesMessage(actions.BackupError, "this server uses"):
            actions.restore_backup(
                database=other,
                path=self.backup,
                into=None,
                keep=False,
                work_dir=self.work / "backups",
                now=datetime.datetime.now(tz=datetime.UTC),
            )
        self.assert_no_plaintext_left()
