"""``manage.py rebuild_summaries``: recompute the contact summaries, or check them."""

import time
from argparse import ArgumentParser
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from outpost.contacts.models import Contact, ContactDay, ServiceDay
from outpost.contacts.summaries import rebuild_summaries
from outpost.orgs.models import Organisation

# Enough to see what went wrong after a restore without flooding a terminal.
MAX_LISTED = 50

Key = tuple[object, ...]
Row = dict[str, object]


@dataclass(frozen=True)
class Summary:
    """A summary table and the columns that name one of its rows."""

    model: type[models.Model]
    key: Sequence[str]


SUMMARIES = (
    Summary(ContactDay, ("site_id", "channel", "client_id", "date")),
    Summary(ServiceDay, ("site_id", "channel", "client_id", "date", "service_type_id")),
)


class Command(BaseCommand):
    help = (
        "Recompute the day summaries that reports read (ContactDay, ServiceDay) from the raw "
        "contacts, in one transaction, and print how many rows and contacts there are. With "
        "--check, change nothing: compare the kept summaries with a fresh rebuild and exit "
        "non-zero listing the differences (useful after a restore). Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--org", help="Only this organisation (its slug); default: all.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare with a fresh rebuild and change nothing; fail on any difference.",
        )

    def handle(self, *args: object, org: str | None, check: bool, **options: object) -> None:
        org_id = _org_id(org)
        started = time.perf_counter()
        if check:
            self.verify(org_id, started)
        else:
            self.rebuild(org_id, started)

    def rebuild(self, org_id: int | None, started: float) -> None:
        with transaction.atomic():
            rebuild_summaries(org_id)
            counts = _counts(org_id)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Rebuilt {counts['ContactDay']} contact-day and {counts['ServiceDay']} "
            f"service-day rows from {counts['contacts']} contacts in {elapsed:.2f} s."
        )

    def verify(self, org_id: int | None, started: float) -> None:
        differences, counts = _compare(org_id)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Checked {counts['ContactDay']} contact-day and {counts['ServiceDay']} "
            f"service-day rows against {counts['contacts']} contacts in {elapsed:.2f} s."
        )
        if not differences:
            self.stdout.write(self.style.SUCCESS("The summaries match the contacts."))
            return
        for line in differences[:MAX_LISTED]:
            self.stdout.write(line)
        if len(differences) > MAX_LISTED:
            self.stdout.write(f"… and {len(differences) - MAX_LISTED} more.")
        raise CommandError(
            f"{len(differences)} summary rows differ from the contacts; "
            "run rebuild_summaries without --check to recompute them."
        )


def _org_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"No organisation has the slug {slug!r}.")
    return org.pk


def _compare(org_id: int | None) -> tuple[list[str], dict[str, int]]:
    """Rebuild in a transaction that is rolled back, and say what the rebuild would change."""
    with transaction.atomic():
        # The lock rebuild_summaries takes, taken before the kept rows are
        # read: no writer can add to them between that read and the rebuild.
        _lock_summaries()
        kept = [_rows(summary, org_id) for summary in SUMMARIES]
        counts = _counts(org_id)
        rebuild_summaries(org_id)
        rebuilt = [_rows(summary, org_id) for summary in SUMMARIES]
        transaction.set_rollback(True)
    differences = [
        line
        for summary, before, after in zip(SUMMARIES, kept, rebuilt, strict=True)
        for line in _differences(summary, before, after)
    ]
    return differences, counts


def _lock_summaries() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time.
    tables = ", ".join(connection.ops.quote_name(s.model._meta.db_table) for s in SUMMARIES)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def _rows(summary: Summary, org_id: int | None) -> dict[Key, Row]:
    columns = [f.attname for f in summary.model._meta.concrete_fields if not f.primary_key]
    rows = summary.model._default_manager.all()
    if org_id is not None:
        rows = rows.filter(org_id=org_id)
    return {tuple(row[c] for c in summary.key): row for row in rows.values(*columns)}


def _counts(org_id: int | None) -> dict[str, int]:
    scope = {} if org_id is None else {"org_id": org_id}
    return {
        "contacts": Contact.objects.filter(**scope).count(),
        "ContactDay": ContactDay.objects.filter(**scope).count(),
        "ServiceDay": ServiceDay.objects.filter(**scope).count(),
    }


def _differences(
    summary: Summary, kept: Mapping[Key, Row], rebuilt: Mapping[Key, Row]
) -> list[str]:
    lines = []
    for key in sorted(kept.keys() | rebuilt.keys(), key=repr):
        before, after = kept.get(key), rebuilt.get(key)
        if before == after:
            continue
        where = ", ".join(f"{c}={v}" for c, v in zip(summary.key, key, strict=True))
        lines.append(f"{summary.model.__name__} {where}: {_change(summary, before, after)}")
    return lines


def _change(summary: Summary, before: Row | None, after: Row | None) -> str:
    if before is None:
        return f"missing, rebuilt has {_values(summary, after)}"
    if after is None:
        return f"no contacts, kept has {_values(summary, before)}"
    changed = [c for c in before if before[c] != after[c]]
    return ", ".join(f"{c} kept {before[c]}, rebuilt {after[c]}" for c in changed)


def _values(summary: Summary, row: Row | None) -> str:
    named = {*summary.key, "org_id", "month"}
    shown = {c: v for c, v in (row or {}).items() if c not in named and v}
    return ", ".join(f"{c}={v}" for c, v in shown.items())
