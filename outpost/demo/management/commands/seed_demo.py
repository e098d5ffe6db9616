from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from outpost.core.roles import Role
from outpost.demo.builder import DEMO_PASSWORD, ORGS, seed_demo
from outpost.orgs.models import Membership


def _int_option(options: dict[str, object], name: str) -> int:
    value = options[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise CommandError(f"--{name} must be a whole number.")
    return value


class Command(BaseCommand):
    help = (
        "Create two demo organisations, modelled on the Sumy harm reduction room and "
        "Humanitarian Action in St. Petersburg, with staff, clients, stock and contacts. "
        "An organisation that already exists is left untouched."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=1, help="Seed for the made-up data (default 1)."
        )
        parser.add_argument(
            "--days", type=int, default=90, help="Days of contacts, ending today (default 90)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build everything, report it, then roll it back.",
        )

    def handle(self, *args: object, **options: object) -> None:
        seed = _int_option(options, "seed")
        days = _int_option(options, "days")
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        today, now = timezone.localdate(), timezone.now()
        if options["dry_run"]:
            with transaction.atomic():
                results = seed_demo(seed=seed, days=days, today=today, now=now)
                transaction.set_rollback(True)
        else:
            # Each organisation commits on its own, so a failure in the
            # second keeps the first.
            results = seed_demo(seed=seed, days=days, today=today, now=now)
        for result in results:
            if result.created:
                self.stdout.write(
                    f"Created {result.slug} ({result.name}): {result.clients} clients, "
                    f"{result.contacts} contacts, {result.receipts} stock receipts."
                )
                if result.dropped_lines:
                    self.stdout.write(
                        f"  {result.dropped_lines} handout lines were left out for lack of stock."
                    )
            else:
                self.stdout.write(f"{result.slug} is already present; left untouched.")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was saved.")
            return
        self._print_sign_ins()

    def _print_sign_ins(self) -> None:
        usernames = [member.username for spec in ORGS for member in spec.staff]
        memberships = Membership.objects.filter(
            user__username__in=usernames, org__slug__in=[spec.slug for spec in ORGS]
        ).select_related("user", "org")
        rows = sorted(
            (m.org.slug, m.user.username, str(Role(m.role).label), m.org.name) for m in memberships
        )
        if not rows:
            return
        width = max(len(row[1]) for row in rows)
        role_width = max(len(row[2]) for row in rows)
        self.stdout.write("")
        self.stdout.write("Demo sign-ins:")
        for _slug, username, role, org_name in rows:
            self.stdout.write(f"  {username:<{width}}  {role:<{role_width}}  {org_name}")
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
