"""Indicators of the room and of operating modes (SPEC §3.1), for reports too.

Each is a pure read over sites and a closed period of local dates
``[first, last]``; nothing here writes.
"""

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from outpost.contacts.models import Contact
from outpost.room.models import OverdoseIncident

COHORT_DAYS = 90


@dataclass(frozen=True)
class Continuity:
    """Of the clients active before the period (the cohort), those reached in it."""

    cohort: int
    kept: int

    @property
    def share(self) -> float | None:
        """``kept / cohort``; None when there was no cohort to keep."""
        return self.kept / self.cohort if self.cohort else None


def continuity(
    *, site_ids: Collection[int], first: datetime.date, last: datetime.date
) -> Continuity:
    """SPEC §3.1 ``continuity`` at the given sites.

    The cohort is the clients with a contact at those sites in the 90 days
    before ``first``; of them, ``kept`` had a contact there from ``first`` to
    ``last``. Anonymous contacts belong to no client and count for neither.
    """
    at_sites = Contact.objects.filter(site_id__in=list(site_ids), client__isnull=False)
    cohort = at_sites.filter(
        date__gte=first - datetime.timedelta(days=COHORT_DAYS), date__lt=first
    ).values("client_id")
    in_period = at_sites.filter(client_id__in=cohort, date__gte=first, date__lte=last)
    return Continuity(
        cohort=cohort.distinct().count(),
        kept=in_period.values("client_id").distinct().count(),
    )


@dataclass(frozen=True)
class OverdoseCounts:
    """SPEC §3.1 ``overdoses``: incidents by outcome, and naloxone doses given."""

    incidents: int
    naloxone_doses: int
    by_outcome: dict[str, int] = field(default_factory=dict)


def overdose_counts(
    *, site_ids: Collection[int], first: datetime.date, last: datetime.date
) -> OverdoseCounts:
    """Overdoses responded to at the sites from ``first`` to ``last``."""
    rows = (
        OverdoseIncident.objects.filter(site_id__in=list(site_ids), date__range=(first, last))
        .values("outcome")
        .annotate(incidents=Count("pk"), doses=Sum("naloxone_doses"))
        .order_by()
    )
    by_outcome = {outcome: 0 for outcome in OverdoseIncident.Outcome.values}
    doses = 0
    for row in rows:
        by_outcome[row["outcome"]] = row["incidents"]
        doses += row["doses"] or 0
    return OverdoseCounts(
        incidents=sum(by_outcome.values()), naloxone_doses=doses, by_outcome=by_outcome
    )
