"""What every benchmark of one run shares: the database, its periods, the exports."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.models import Count, Max

from outpost.contacts.models import Contact
from outpost.core.periods import Period, month_period
from outpost.orgs.models import Organisation, Site


@dataclass
class Context:
    scale: str
    repeat: int
    workdir: Path
    long: bool = False
    # The periods the benchmarks ask about, all inside the data.
    end: datetime.date = datetime.date.min
    year: Period = field(default_factory=lambda: Period(datetime.date.min, datetime.date.min))
    quarter: Period = field(default_factory=lambda: Period(datetime.date.min, datetime.date.min))
    month: Period = field(default_factory=lambda: Period(datetime.date.min, datetime.date.min))
    org_ids: tuple[int, ...] = ()
    largest_org: int = 0
    busiest_site: int = 0
    # Seconds any one statement of Outpost's may run at scale L.
    statement_limit: int | None = None

    @property
    def vendor(self) -> str:
        return connection.vendor

    @property
    def database(self) -> str:
        name = connection.settings_dict["NAME"]
        return str(name)


def build_context(*, scale: str, repeat: int, workdir: Path, long: bool = False) -> Context:
    """Read the data's extent; the periods end with its last complete month."""
    ctx = Context(scale=scale, repeat=repeat, workdir=workdir, long=long)
    ctx.statement_limit = 300 if scale == "L" else None
    last = Contact.objects.aggregate(last=Max("date"))["last"]
    if last is None:
        raise SystemExit("The database has no contacts: run generate_dataset first.")
    ctx.end = last
    ctx.month = last_complete_month(last)
    ctx.year = months_ending(ctx.month, 12)
    ctx.quarter = last_complete_quarter(ctx.month)
    ctx.org_ids = tuple(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    by_org = (
        Contact.objects.filter(date__range=(ctx.year.first, ctx.year.last))
        .values("org_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "org_id")
    )
    ctx.largest_org = by_org[0]["org_id"]
    by_site = (
        Contact.objects.filter(org_id=ctx.largest_org, date__range=(ctx.year.first, ctx.year.last))
        .values("site_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "site_id")
    )
    ctx.busiest_site = by_site[0]["site_id"]
    assert Site.objects.filter(pk=ctx.busiest_site).exists()  # noqa: S101
    return ctx


def last_complete_month(day: datetime.date) -> Period:
    month = month_period(day.year, day.month)
    if month.last == day:
        return month
    before = day.replace(day=1) - datetime.timedelta(days=1)
    return month_period(before.year, before.month)


def months_ending(month: Period, count: int) -> Period:
    index = month.first.year * 12 + month.first.month - 1 - (count - 1)
    return Period(datetime.date(index // 12, index % 12 + 1, 1), month.last)


def last_complete_quarter(month: Period) -> Period:
    """The last calendar quarter that ends with or before ``month``."""
    year, last_month = month.first.year, month.first.month
    while last_month % 3:
        last_month -= 1
    if last_month == 0:
        year, last_month = year - 1, 12
    end = month_period(year, last_month)
    return Period(months_ending(end, 3).first, end.last)
