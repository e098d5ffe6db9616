"""Which modes a site was in over a period of local dates."""

import datetime
import zoneinfo
from dataclasses import dataclass

from outpost.modes.models import Mode, ModeChange
from outpost.orgs.models import Site


@dataclass(frozen=True)
class ModeSpan:
    """A mode in force from one local date to another, both included.

    A day on which the mode changed ends one span and starts the next.
    """

    mode: Mode
    first: datetime.date
    last: datetime.date
    change: ModeChange | None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def start_of(site: Site, date: datetime.date) -> datetime.datetime:
    """Local midnight at the site on ``date``, as an aware moment."""
    return datetime.datetime.combine(
        date, datetime.time(), tzinfo=zoneinfo.ZoneInfo(site.timezone)
    )


def modes_during(site: Site, first: datetime.date, last: datetime.date) -> list[ModeSpan]:
    """The modes ``site`` was in from ``first`` to ``last``, in order."""
    starts = start_of(site, first)
    ends = start_of(site, last + datetime.timedelta(days=1))
    before = ModeChange.objects.for_site_at(site, starts).first()
    during = list(
        ModeChange.objects.filter(site=site, changed_at__gt=starts, changed_at__lt=ends)
        .select_related("changed_by")
        .order_by("changed_at", "pk")
    )
    changes: list[ModeChange | None] = [before, *during]
    spans = []
    for index, change in enumerate(changes):
        span_first = first if change is None else max(first, site.local_date(change.changed_at))
        following = changes[index + 1] if index + 1 < len(changes) else None
        span_last = last if following is None else site.local_date(following.changed_at)
        mode = Mode.NORMAL if change is None else Mode(change.mode)
        spans.append(ModeSpan(mode=mode, first=span_first, last=span_last, change=change))
    return spans
