import csv
import datetime
import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from outpost.core.lib.spreadsheets import text_safe
from outpost.core.periods import Period
from outpost.orgs.models import Organisation, Site
from outpost.reports import definitions as d
from outpost.reports.indicators import compute_report, scope_of
from outpost.reports.output import as_json, table


class Command(BaseCommand):
    help = (
        "Print every indicator of SPEC §3 for an organisation and period, split as asked "
        "(JSON documented in docs/reports.md, or CSV)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's short name.")
        parser.add_argument("--from", dest="first", required=True, help="YYYY-MM-DD, included.")
        parser.add_argument("--to", dest="last", required=True, help="YYYY-MM-DD, included.")
        parser.add_argument(
            "--by", default="", help=f"Comma-separated splits: {', '.join(d.DIMENSIONS)}."
        )
        parser.add_argument(
            "--sites", default="", help="Comma-separated site names (default: all)."
        )
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--outside",
            action="store_true",
            help="For use outside the organisation: counts from 1 to 9 become <10.",
        )
        parser.add_argument("--language", default=settings.LANGUAGE_CODE)

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation {options['org']!r}.")
        period = Period(_date(options["first"]), _date(options["last"]))
        if period.last < period.first:
            raise CommandError("The period ends before it starts.")
        by = [dim.strip() for dim in options["by"].split(",") if dim.strip()]
        unknown = sorted(set(by) - set(d.DIMENSIONS))
        if unknown or len(set(by)) != len(by):
            raise CommandError(f"--by takes each of {', '.join(d.DIMENSIONS)} at most once.")
        report = compute_report(scope_of([org.pk], _sites(org, options["sites"])), period, by)
        with translation.override(options["language"]):
            if options["format"] == "json":
                data = as_json(report, outside=options["outside"])
                self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            else:
                writer = csv.writer(self.stdout, lineterminator="\n")
                for row in table(report, outside=options["outside"]):
                    writer.writerow(["" if value is None else text_safe(value) for value in row])


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{text!r} is not a date YYYY-MM-DD.") from error


def _sites(org: Organisation, names: str) -> list[int] | None:
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    if not wanted:
        return None
    found = dict(Site.objects.filter(org=org, name__in=wanted).values_list("name", "pk"))
    missing = [name for name in wanted if name not in found]
    if missing:
        raise CommandError(f"No site {', '.join(missing)} in {org.slug}.")
    return list(found.values())
