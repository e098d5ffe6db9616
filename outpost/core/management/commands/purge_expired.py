from argparse import ArgumentParser

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from outpost.core.retention import jobs


class Command(BaseCommand):
    help = (
        "Remove personal data past its retention limit (contact details, delivery "
        "addresses, bot state). Run daily from cron or a systemd timer."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go, remove nothing."
        )

    def handle(self, *args: object, dry_run: bool, **options: object) -> None:
        today = timezone.localdate()
        with transaction.atomic():
            for name, job in sorted(jobs().items()):
                self.stdout.write(f"{name}: {job(today)}")
            if dry_run:
                transaction.set_rollback(True)
                self.stdout.write("Dry run: nothing was removed.")
