"""Reads that reports reuse: contacts by channel, and secondary distribution."""

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from outpost.contacts.models import Contact
from outpost.core.periods import Period


@dataclass(frozen=True)
class SecondaryDistribution:
    """Supplies clients took on to peers in a period, counted apart."""

    contacts: int
    clients: int
    peers: int
    units: int


def _contacts(org_id: int, period: Period, site_ids: Collection[int] | None) -> Q:
    scope = Q(org_id=org_id, date__gte=period.first, date__lte=period.last)
    return scope & Q(site_id__in=site_ids) if site_ids is not None else scope


def secondary_distribution(
    *, org_id: int, period: Period, site_ids: Collection[int] | None = None
) -> SecondaryDistribution:
    """Contacts at which a client took supplies for peers, the clients, peers and units.

    ``peers`` is a sum of what was reported at each contact, not a count of
    distinct people: peers have no codes.
    """
    figures = (
        Contact.objects.filter(_contacts(org_id, period, site_ids))
        .for_peers()
        .aggregate(
            contacts=Count("pk"),
            clients=Count("client", distinct=True),
            peers=Sum("peers"),
            units=Sum("units_for_peers"),
        )
    )
    return SecondaryDistribution(
        contacts=figures["contacts"],
        clients=figures["clients"],
        peers=figures["peers"] or 0,
        units=figures["units"] or 0,
    )


def contacts_by_channel(
    *, org_id: int, period: Period, site_ids: Collection[int] | None = None
) -> dict[str, int]:
    """Contacts per channel in a period, anonymous ones included (SPEC §3.1)."""
    rows = (
        Contact.objects.filter(_contacts(org_id, period, site_ids))
        .values("channel")
        .annotate(total=Count("pk"))
        .order_by()
    )
    return {row["channel"]: row["total"] for row in rows}
