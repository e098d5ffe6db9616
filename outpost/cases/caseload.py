"""Reads for the caseload pages, in a fixed number of queries.

A case manager's caseload takes four queries however many cases they hold;
the managers' side-by-side view takes five for any number of case managers.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Min, Prefetch, Q

from outpost.cases.models import Case, Consultation, FollowUp, Goal
from outpost.core.roles import Role
from outpost.orgs.models import Membership
from outpost.testing.models import Referral

NOT_SEEN_DAYS = 30


def not_seen_since(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(NOT_SEEN_DAYS)


def _not_seen(prefix: str, today: datetime.date) -> Q:
    """Clients with no contact at all, or none in the last 30 days."""
    return Q(**{f"{prefix}last_contact_date__isnull": True}) | Q(
        **{f"{prefix}last_contact_date__lt": not_seen_since(today)}
    )


@dataclass
class Caseload:
    today: datetime.date
    cases: list[Case]
    due: list[FollowUp]
    referrals: list[Referral]
    not_seen: list[Case] = field(default_factory=list)

    @property
    def due_today(self) -> list[FollowUp]:
        return [follow_up for follow_up in self.due if follow_up.due_on == self.today]

    @property
    def overdue(self) -> list[FollowUp]:
        return [follow_up for follow_up in self.due if follow_up.due_on < self.today]


def caseload_of(*, org_id: int, user_id: int, today: datetime.date) -> Caseload:
    """One person's open cases, follow-ups due, open referrals and clients not seen."""
    pending = Q(follow_ups__done_on__isnull=True, follow_ups__cancelled_on__isnull=True)
    goals = Goal.objects.select_related("goal_type").order_by("pk")
    cases = list(
        Case.objects.open()
        .filter(org_id=org_id, manager_id=user_id)
        .select_related("client")
        .annotate(next_due=Min("follow_ups__due_on", filter=pending))
        .prefetch_related(Prefetch("goals", queryset=goals))
        .order_by("client__code")
    )
    due = list(
        FollowUp.objects.due_by(today)
        .filter(org_id=org_id, case__manager_id=user_id, case__closed_on__isnull=True)
        .select_related("case__client", "consultation__topic")
        .order_by("due_on", "pk")
    )
    referrals = list(
        Referral.objects.open()
        .filter(
            org_id=org_id,
            client__cases__manager_id=user_id,
            client__cases__closed_on__isnull=True,
        )
        .select_related("client")
        .order_by("due_on", "pk")
    )
    cutoff = not_seen_since(today)
    not_seen = [
        case
        for case in cases
        if case.client.last_contact_date is None or case.client.last_contact_date < cutoff
    ]
    return Caseload(today=today, cases=cases, due=due, referrals=referrals, not_seen=not_seen)


@dataclass(frozen=True)
class Load:
    """One person's caseload in figures, for the managers' side-by-side view."""

    membership: Membership
    cases: int = 0
    due_today: int = 0
    overdue: int = 0
    referrals: int = 0
    not_seen: int = 0
    consultations: int = 0


def loads(*, org_id: int, today: datetime.date) -> list[Load]:
    """Every active case manager's load, and anyone else's who holds open cases."""
    open_cases = Case.objects.open().filter(org_id=org_id)
    cases = _by_manager(
        open_cases.values("manager_id").annotate(
            cases=Count("pk"), not_seen=Count("pk", filter=_not_seen("client__", today))
        )
    )
    follow_ups = _by_manager(
        FollowUp.objects.due_by(today)
        .filter(org_id=org_id, case__closed_on__isnull=True)
        .values(manager_id=F("case__manager_id"))
        .annotate(
            due_today=Count("pk", filter=Q(due_on=today)),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
        )
    )
    referrals = _by_manager(
        Referral.objects.open()
        .filter(org_id=org_id, client__cases__closed_on__isnull=True)
        .values(manager_id=F("client__cases__manager_id"))
        .annotate(referrals=Count("pk"))
    )
    consultations = _by_manager(
        Consultation.objects.filter(
            org_id=org_id, contact__date__gte=today.replace(day=1), contact__date__lte=today
        )
        .values(manager_id=F("recorded_by_id"))
        .annotate(consultations=Count("pk"))
    )
    # Someone who left or changed role keeps their open cases until they
    # are handed over, so they stay on the list while they hold any.
    staff = (
        Membership.objects.filter(org_id=org_id)
        .filter(Q(role=Role.CASE_MANAGER, user__is_active=True) | Q(user_id__in=list(cases)))
        .select_related("user")
        .order_by("user__username")
    )
    loads = []
    for membership in staff:
        figures = {
            **cases.get(membership.user_id, {}),
            **follow_ups.get(membership.user_id, {}),
            **referrals.get(membership.user_id, {}),
            **consultations.get(membership.user_id, {}),
        }
        loads.append(
            Load(
                membership=membership,
                cases=figures.get("cases", 0),
                due_today=figures.get("due_today", 0),
                overdue=figures.get("overdue", 0),
                referrals=figures.get("referrals", 0),
                not_seen=figures.get("not_seen", 0),
                consultations=figures.get("consultations", 0),
            )
        )
    return loads


def _by_manager(rows: Iterable[dict[str, int]]) -> dict[int, dict[str, int]]:
    """Counts per person, from rows grouped by ``manager_id``."""
    return {row.pop("manager_id"): row for row in rows}
