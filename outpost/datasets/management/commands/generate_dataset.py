import datetime
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outpost.datasets.generator import NotEmpty, Summary, generate
from outpost.datasets.plan import SCALES
from outpost.datasets.progress import duration
from outpost.datasets.writer import writer_for_connection


class Command(BaseCommand):
    help = (
        "Fill an empty, freshly migrated database with a generated dataset at scale "
        "T (tiny), S (one room), M (a regional NGO) or L (a national network), through "
        "bulk writes. The same seed and end date always give the same data."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="S")
        parser.add_argument(
            "--tiny", action="store_true", help="Scale T: a few hundred contacts, for tests."
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed (default 1).")
        parser.add_argument(
            "--end",
            type=datetime.date.fromisoformat,
            help="Last day of data, YYYY-MM-DD (default yesterday).",
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="Keep indexes and constraints current while loading instead of rebuilding them.",
        )

    def handle(self, *args: object, **options: object) -> None:
        scale = SCALES["T" if options["tiny"] else str(options["scale"])]
        seed = options["seed"]
        end = options["end"] or timezone.localdate() - datetime.timedelta(days=1)
        if not isinstance(seed, int) or not isinstance(end, datetime.date):
            raise CommandError("--seed must be a whole number and --end a date.")
        self.stdout.write(
            f"Generating scale {scale.name} with seed {seed}: {scale.clients:,} clients and "
            f"about {scale.contacts:,} contacts over {scale.days} days ending {end}."
        )
        try:
            summary = generate(
                scale=scale,
                seed=seed,
                end=end,
                writer=writer_for_connection(),
                say=self._say,
                defer_indexes=not options["keep_indexes"],
            )
        except NotEmpty:
            raise CommandError(
                "This database already has organisations. Generate datasets only into an "
                "empty, freshly migrated database."
            ) from None
        self._report(summary)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        # Progress must show at once even when the output goes to a file.
        self.stdout.flush()

    def _report(self, summary: Summary) -> None:
        self.stdout.write("")
        self.stdout.write(f"{'table':<28} {'rows':>12} {'writing':>10}")
        for table, rows in summary.rows.items():
            seconds = summary.write_seconds.get(table)
            spent = duration(seconds) if seconds is not None else ""
            self.stdout.write(f"{table:<28} {rows:>12,} {spent:>10}")
        self.stdout.write("")
        for phase, seconds in summary.phases.items():
            self.stdout.write(f"{phase:<52} {duration(seconds):>10}")
        self.stdout.write(
            f"Visits per client in a calendar year: median {summary.median_visits_a_year:g}; "
            f"most visits by one client: {summary.most_visits:,}."
        )
