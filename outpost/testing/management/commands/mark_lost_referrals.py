from argparse import ArgumentParser

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from outpost.testing.actions import mark_lost_referrals


class Command(BaseCommand):
    help = (
        "Mark referrals not completed 90 days after issue as lost. Run daily from cron or "
        "a systemd timer; lists of referrals also apply the rule when they are read."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be marked, change nothing."
        )

    def handle(self, *args: object, dry_run: bool, **options: object) -> None:
        with transaction.atomic():
            marked = mark_lost_referrals(today=timezone.localdate())
            self.stdout.write(f"referrals marked lost: {marked}")
            if dry_run:
                transaction.set_rollback(True)
                self.stdout.write("Dry run: nothing was changed.")
