from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outpost.vault import custody
from outpost.vault.actions import VaultRefused, init_master_key


class Command(BaseCommand):
    help = (
        "Create KEY_DIR (0700) and a new random master key (0600). With --sealed-out, "
        "also write the sealed copy for offline custody: it must leave this server."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sealed-out",
            type=Path,
            help="Write the sealed copy here (a USB stick, or print it and delete it).",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if a master key is already installed (for provisioning).",
        )

    def handle(
        self, *args: object, sealed_out: Path | None, if_missing: bool, **options: object
    ) -> None:
        if if_missing and custody.master_key_path().exists():
            self.stdout.write("A master key is already installed; nothing to do.")
            return
        try:
            fingerprint = init_master_key(sealed_out=sealed_out)
        except VaultRefused as exc:
            raise CommandError(str(exc)) from None
        except FileExistsError as exc:
            raise CommandError(f"{exc.filename} exists; refusing to overwrite it") from None
        self.stdout.write(f"Master key {fingerprint} written to {custody.master_key_path()}.")
        if sealed_out is None:
            self.stdout.write(
                self.style.WARNING(
                    "No sealed copy was written. Without one, a lock cannot be undone: "
                    "run 'rotate_keys --kek --sealed-out PATH' to make one."
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Sealed copy written to {sealed_out}. Move it off this server now "
                    "(print it or copy it to offline media, then delete it here)."
                )
            )
