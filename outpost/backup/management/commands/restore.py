from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from outpost.backup.actions import BackupError, RestoreResult, TableCheck, restore_backup
from outpost.vault.keys import VaultLocked


def _status(check: TableCheck) -> str:
    if check.expected is None:
        return "EXTRA (not in manifest)"
    if check.actual is None:
        return "MISSING"
    if check.expected.rows != check.actual.rows:
        return "ROW COUNT DIFFERS"
    if check.expected.sha256 != check.actual.sha256:
        return "CONTENT DIFFERS"
    return "ok"


class Command(BaseCommand):
    help = (
        "Restore an Outpost backup into a NEW database and check every table's row count "
        "and content hash against the backup's manifest. The checksum file is checked "
        "first and the archive's GCM tag before anything is used; a wrong master key or "
        "an altered file fails with nothing restored. The live database is never touched. "
        "The check always runs; with --verify (a restore drill) the copy is then dropped "
        "unless --keep, without it the copy is kept. "
        "To go live from a backup, by hand: restore with --into and without --verify, "
        "stop the app, point SQLITE_PATH or DATABASE_URL at the restored copy, start the "
        "app, and unlock it with the master key that made the backup."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="The .backup file (its .sha256 beside it).")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Restore drill: check the copy against the manifest, then drop it.",
        )
        parser.add_argument(
            "--keep", action="store_true", help="With --verify, keep the restored copy."
        )
        parser.add_argument(
            "--into",
            default=None,
            help=(
                "New database to create: a file path for SQLite, a database name for "
                "PostgreSQL (default outpost_restore_<UTC time>). It must not exist."
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        path, into = options["file"], options["into"]
        if not isinstance(path, Path) or not (into is None or isinstance(into, str)):
            raise CommandError("FILE must be a path and --into a name.")
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        keep = bool(options["keep"]) or not options["verify"]
        database = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            result = restore_backup(
                database=database,
                path=path,
                into=into,
                keep=keep,
                work_dir=Path(settings.BACKUP_DIR),
                now=timezone.now(),
            )
        except VaultLocked as exc:
            raise CommandError(
                "The server is locked, so there is no backup key. Unlock it with the master "
                "key that made this backup; nothing was restored."
            ) from exc
        except BackupError as exc:
            raise CommandError(f"Restore refused, nothing was restored: {exc}") from exc
        self._report(path, result)
        if not result.ok:
            failed = sum(not check.ok for check in result.checks)
            raise CommandError(
                f"NOT verified: {failed} of {len(result.checks)} tables differ from the manifest."
            )

    def _report(self, path: Path, result: RestoreResult) -> None:
        self.stdout.write(f"Checksum ok: {path.name} (made {result.made_at})")
        self.stdout.write(
            f"Decrypted and authenticated in {result.decrypt_seconds:.1f} s; "
            f"restored into {result.target} ({result.engine}) in {result.restore_seconds:.1f} s"
        )
        width = max([len("table"), *(len(check.table) for check in result.checks)])
        self.stdout.write(f"  {'table':<{width}}  {'manifest':>9}  {'restored':>9}  check")
        for check in result.checks:
            expected = "-" if check.expected is None else str(check.expected.rows)
            actual = "-" if check.actual is None else str(check.actual.rows)
            self.stdout.write(
                f"  {check.table:<{width}}  {expected:>9}  {actual:>9}  {_status(check)}"
            )
        if result.ok:
            self.stdout.write(
                f"verified: {len(result.checks)} tables, {result.rows} rows match the manifest "
                f"(check {result.verify_seconds:.1f} s; restore time {result.total_seconds:.1f} s "
                "in all)"
            )
        if result.kept:
            self.stdout.write(f"Restored copy kept: {result.target}")
        else:
            self.stdout.write(f"Restored copy dropped: {result.target}")
