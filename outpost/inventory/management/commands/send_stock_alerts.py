import datetime
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outpost.inventory.alerts import AlertOutcome, send_stock_alert
from outpost.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Email each organisation's managers the stock that needs attention today. "
        "Run it daily (cron or a systemd timer); a second run the same day sends nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day to forecast for, YYYY-MM-DD (default: today in TIME_ZONE).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent; send nothing."
        )

    def handle(
        self, *args: object, date: datetime.date | None, dry_run: bool, **options: object
    ) -> None:
        today = date or timezone.localdate()
        failed = []
        for org in Organisation.objects.order_by("pk"):
            try:
                outcome = send_stock_alert(org=org, today=today, dry_run=dry_run)
            except Exception as error:
                # One organisation's failure must not stop the others' alerts.
                failed.append(org.slug)
                self.stderr.write(f"{org.slug}: not sent: {error}")
                continue
            self.stdout.write(_line(outcome, today=today))
        if failed:
            raise CommandError(f"Stock alerts failed for: {', '.join(failed)}")


def _line(outcome: AlertOutcome, *, today: datetime.date) -> str:
    text = f"{outcome.org.slug} {today.isoformat()}: {outcome.status}"
    if outcome.items:
        text += f", {outcome.items} item(s) at a location"
    if outcome.recipients:
        text += f", {outcome.recipients} recipient(s)"
    return text
