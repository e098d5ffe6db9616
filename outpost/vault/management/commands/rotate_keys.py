from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outpost.vault import keys
from outpost.vault.actions import VaultRefused, rotate_master_key
from outpost.vault.registry import registered
from outpost.vault.rotation import (
    RotationIncomplete,
    count_rows_on_old_keys,
    plan,
    rotate_data_keys,
)

_PURPOSES = {"fields": ["fields"], "index": ["index"], "all": ["fields", "index"]}


class Command(BaseCommand):
    help = (
        "Rotate data keys: make a new key and move every registered encrypted field "
        "(and, for 'index', every blind index) onto it in batches, then retire the old "
        "key. Safe to stop at any point and run again. With --kek, re-wrap the data "
        "keys under a new master key instead, without touching any row."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--purpose", choices=sorted(_PURPOSES), default="all")
        parser.add_argument("--batch", type=int, default=500, help="Rows per transaction.")
        parser.add_argument(
            "--kek", action="store_true", help="Rotate the master key instead of data keys."
        )
        parser.add_argument(
            "--sealed-out",
            type=Path,
            help="With --kek: where to write the new master key's sealed copy.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be done; change nothing."
        )

    def handle(
        self,
        *args: object,
        purpose: str,
        batch: int,
        kek: bool,
        sealed_out: Path | None,
        dry_run: bool,
        **options: object,
    ) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        try:
            keys.master_key()
        except keys.VaultLocked as exc:
            raise CommandError(f"Cannot rotate: {exc}.") from None
        if kek:
            self._rotate_master_key(sealed_out, dry_run)
        else:
            self._rotate_data_keys(_PURPOSES[purpose], batch, dry_run)

    def _rotate_master_key(self, sealed_out: Path | None, dry_run: bool) -> None:
        if sealed_out is None:
            raise CommandError(
                "--kek needs --sealed-out PATH: the old sealed copies stop working, so "
                "the new one must be written somewhere that leaves this server."
            )
        if dry_run:
            self.stdout.write(f"Would re-wrap every data key and write {sealed_out}.")
            return
        try:
            result = rotate_master_key(sealed_out=sealed_out)
        except VaultRefused as exc:
            raise CommandError(str(exc)) from None
        if result.resumed:
            self.stdout.write("Finished an interrupted master key rotation.")
        self.stdout.write(
            f"Master key is now {result.fingerprint}; {result.data_keys_rewrapped} data keys "
            "re-wrapped, no rows touched."
        )
        self.stdout.write(
            self.style.WARNING(
                f"The new sealed copy is in {sealed_out}: move it off this server now. "
                "Old sealed copies open only backups made before this rotation."
            )
        )

    def _rotate_data_keys(self, purposes: list[str], batch: int, dry_run: bool) -> None:
        resume, start = plan(purposes)
        if dry_run:
            for purpose in resume:
                current = keys.live_key_ids(purpose)[-1]
                line = f"Would finish the interrupted {purpose} rotation to key #{current}"
                if purpose == "fields":
                    line += f" ({count_rows_on_old_keys(current)} rows still to re-encrypt)"
                self.stdout.write(line + ".")
            if start:
                fields = ", ".join(entry.label for entry in registered()) or "none"
                self.stdout.write(
                    f"Would make new {' and '.join(start)} keys; registered fields: {fields}."
                )
            return
        if resume:
            self.stdout.write(
                f"Finishing an interrupted rotation ({', '.join(resume)}); run again "
                "afterwards to start a new one."
            )

        def progress(message: str) -> None:
            self.stdout.write(message)
            self.stdout.flush()

        try:
            report = rotate_data_keys(purposes=purposes, batch=batch, progress=progress)
        except RotationIncomplete as exc:
            raise CommandError(str(exc)) from None
        now_current = ", ".join(f"{p} #{k}" for p, k in report.current.items())
        self.stdout.write(
            f"Rotated: current keys {now_current}; re-encrypted {report.reencrypted} rows, "
            f"recomputed {report.reindexed} indexes, retired keys {report.retired or 'none'} "
            f"in {report.seconds:.1f} s ({report.settle_seconds:.1f} s waiting for other "
            "processes)."
        )
