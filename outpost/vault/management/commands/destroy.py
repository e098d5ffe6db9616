from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from outpost.vault.actions import DESTROY_PHRASE, VaultRefused, destroy_vault


class Command(BaseCommand):
    help = (
        "Destroy, irreversibly: delete every data key and the master key, so every "
        "encrypted value (phones, Telegram names, notes) is unreadable for good. Client "
        "codes and counts survive. Whether this is lawful is for the organisation's "
        f'lawyers. Requires --confirm "{DESTROY_PHRASE}".'
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--confirm", required=True, help=f'Exactly "{DESTROY_PHRASE}".')

    def handle(self, *args: object, confirm: str, **options: object) -> None:
        try:
            result = destroy_vault(confirm=confirm, actor_id=None, org_id=None)
        except VaultRefused as exc:
            raise CommandError(f"Refused: {exc}. Nothing was changed.") from None
        self.stdout.write(
            f"Destroyed {result.data_keys_deleted} data keys and the master key; "
            f"{result.sessions_ended} sessions ended."
        )
        self.stdout.write(
            self.style.WARNING(
                "Database backups made before now still hold the data keys, and the "
                "sealed copies of the master key still open them: destroy both as well. "
                "Run 'keys_init' to start again with empty encrypted fields."
            )
        )
