import datetime
import io
import sqlite3
from contextlib import closing
from pathlib import Path
from unittest import mock

import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from outpost.backup import engines
from outpost.backup.archive import sidecar_path
from outpost.backup.engines import Fingerprint
from outpost.backup.tests.base import LiveDatabaseTestCase, pg_connect
from outpost.vault import custody
from outpost.vault.testing import vault_in


class BackupCommandTests(LiveDatabaseTestCase):
    def backup(self, out: Path) -> str:
        stdout = io.StringIO()
        call_command("backup", "--out", str(out), stdout=stdout)
        return stdout.getvalue()

    def commit_elsewhere(self, sql: str) -> None:
        """Run ``sql`` on a connection of its own, committed at once."""
        if connection.vendor == "postgresql":
            with closing(pg_connect(connection.settings_dict, self.live_name)) as pg:
                pg.execute(sql)
        else:
            with closing(sqlite3.connect(self.live_name, isolation_level=None)) as db:
                db.execute(sql)

    def test_makes_a_private_directory_and_leaves_only_the_backup_and_checksum(self) -> None:
        out = self.work / "new" / "backups"
        output = self.backup(out)
        files = sorted(p.name for p in out.iterdir())
        self.assertEqual(len(files), 2)
        backup = out / files[0]
        self.assertEqual(files[1], sidecar_path(backup).name)
        self.assertIn(f"Backup written: {backup.name}", output)
        self.assertEqual(out.stat().st_mode & 0o777, 0o700)
        self.assertEqual(backup.stat().st_mode & 0o777, 0o600)
        self.assertEqual(sidecar_path(backup).stat().st_mode & 0o777, 0o600)

    def test_refuses_while_the_server_is_locked_and_writes_nothing(self) -> None:
        out = self.work / "locked"
        with vault_in(self.work / "locked-keys"):
            custody.master_key_path().unlink()
            with self.assertRaisesMessage(CommandError, "The server is locked"):
                self.backup(out)
        self.assertFalse(out.exists())

    def test_a_second_run_in_the_same_second_keeps_the_first_backup(self) -> None:
        out = self.work / "twice"
        with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)):
            self.backup(out)
            first = (out / "outpost-20260302-100000.backup").read_bytes()
            with self.assertRaisesMessage(CommandError, "already exists"):
                self.backup(out)
        self.assertEqual((out / "outpost-20260302-100000.backup").read_bytes(), first)
        self.assertEqual(len(list(out.iterdir())), 2)

    def test_a_write_committed_while_the_backup_runs_is_in_neither_snapshot_nor_manifest(
        self,
    ) -> None:
        """The manifest describes the snapshot, not the live database a moment later.

        On PostgreSQL this fails if the fingerprint is read outside the
        snapshot that pg_dump used.
        """
        name = "_pg_fingerprint" if connection.vendor == "postgresql" else "_sqlite_fingerprint"
        real_fingerprint = getattr(engines, name)

        def after_a_late_write(db: object) -> Fingerprint:
            self.commit_elsewhere("INSERT INTO auth_group (name) VALUES ('late')")
            return real_fingerprint(db)  # type: ignore[no-any-return]

        out = self.work / "consistent"
        connection.ensure_connection()  # puts the SQLite file in WAL mode
        self.addCleanup(self.commit_elsewhere, "DELETE FROM auth_group WHERE name = 'late'")
        with mock.patch.object(engines, name, after_a_late_write):
            self.backup(out)
        (backup,) = out.glob("*.backup")
        target = (
            f"{self.live_name}_rc"
            if connection.vendor == "postgresql"
            else str(self.work / "consistent.sqlite3")
        )
        self.addCleanup(self.engine().drop, target)
        output = io.StringIO()
        call_command("restore", str(backup), "--verify", "--keep", "--into", target, stdout=output)
        self.assertIn("verified:", output.getvalue())
        self.assertEqual(self.engine().fingerprint(target)["auth_group"].rows, 0)
        self.assertEqual(self.engine().fingerprint(self.live_name)["auth_group"].rows, 1)
