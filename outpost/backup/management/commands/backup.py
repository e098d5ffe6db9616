from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from outpost.backup.actions import BackupError, create_backup
from outpost.vault.keys import VaultLocked


class Command(BaseCommand):
    help = (
        "Write an encrypted, checksummed backup of the database: one file "
        "outpost-YYYYMMDD-HHMMSS.backup (UTC time) plus <file>.sha256. The snapshot is "
        "consistent while the app runs (SQLite backup API or pg_dump). It is encrypted "
        "with the backup key derived from the master key, so it refuses to run while "
        "the server is locked, and restoring needs that same master key."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Directory for the backup (default BACKUP_DIR; created 0700).",
        )

    def handle(self, *args: object, **options: object) -> None:
        out = options["out"]
        if out is None:
            out = Path(settings.BACKUP_DIR)
        if not isinstance(out, Path):
            raise CommandError("--out must be a directory path.")
        # The test runner renames the database at runtime, so the live
        # connection's settings are the truth, not settings.DATABASES.
        database = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            result = create_backup(database=database, out_dir=out, now=timezone.now())
        except VaultLocked as exc:
            raise CommandError(
                "The server is locked, so there is no backup key. Unlock it and run again; "
                "nothing was written."
            ) from exc
        except BackupError as exc:
            raise CommandError(f"Backup failed, nothing was written: {exc}") from exc
        self.stdout.write(f"Backup written: {result.path.name} in {result.path.parent}")
        self.stdout.write(f"  size: {result.size / 2**20:.1f} MiB ({result.size} bytes)")
        self.stdout.write(f"  tables: {result.tables} ({result.rows} rows)")
        self.stdout.write(f"  time: {result.seconds:.1f} s")
        self.stdout.write(f"  checksum: {result.checksum_path.name}")
