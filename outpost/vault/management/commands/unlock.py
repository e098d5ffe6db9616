import sys
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from outpost.vault.actions import VaultRefused, unlock_vault


class Command(BaseCommand):
    help = (
        "Unlock: install the master key from its sealed copy, after checking that it "
        "opens every data key in the database. A wrong key changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sealed",
            required=True,
            help="The sealed copy; '-' reads it from standard input, so it never "
            "touches this server's disk.",
        )

    def handle(self, *args: object, sealed: str, **options: object) -> None:
        try:
            if sealed == "-":
                text = sys.stdin.read()
            else:
                with open(sealed, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the sealed copy: {exc}") from None
        try:
            fingerprint = unlock_vault(sealed_text=text, actor_id=None, org_id=None)
        except VaultRefused as exc:
            raise CommandError(f"Refused: {exc}. Nothing was changed.") from None
        self.stdout.write(f"Unlocked with master key {fingerprint}.")
        if sealed != "-":
            self.stdout.write(self.style.WARNING(f"Remove {sealed} from this server now."))
