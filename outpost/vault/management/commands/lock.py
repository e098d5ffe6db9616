from django.core.management.base import BaseCommand

from outpost.vault.actions import lock_vault


class Command(BaseCommand):
    help = (
        "Lock: remove the master key from this server, forget all keys and end every "
        "session. Reversible with 'unlock --sealed PATH'; no data is deleted."
    )

    def handle(self, *args: object, **options: object) -> None:
        result = lock_vault(actor_id=None, org_id=None)
        if not result.key_removed:
            self.stdout.write("There was no master key on this server (already locked).")
        self.stdout.write(
            f"Locked. {result.sessions_ended} sessions ended; every page now shows a "
            "neutral 'temporarily unavailable' notice. Restart the application server to "
            "clear idle worker processes' memory as well."
        )
