"""Case-management figures for a period: pure reads that reports reuse.

Every function takes an organisation, optionally one site, and a
``Period`` of local dates, and returns counts only: no code, no note.
A consultation counts in the month of its contact's local date; a case in
the month it opened or closed; a goal in the month it was marked achieved.
"""

import datetime
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from outpost.cases.models import CONSULTATION_CHANNELS, Case, Consultation, Goal
from outpost.core.choices import Channel
from outpost.core.periods import Period

M = TypeVar("M", Case, Consultation, Goal)


@dataclass(frozen=True)
class Scope:
    org_id: int
    site_id: int | None = None


@dataclass(frozen=True)
class ConsultationCount:
    month: datetime.date
    channel: str
    topic_name: str
    consultations: int
    minutes: int

    @property
    def channel_label(self) -> str:
        channel = Channel(self.channel)
        return str(CONSULTATION_CHANNELS.get(channel, channel.label))

    @property
    def topic_label(self) -> str:
        return gettext(self.topic_name)


@dataclass(frozen=True)
class CaseCount:
    month: datetime.date
    opened: int = 0
    closed: int = 0


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str
    cases: int

    @property
    def label(self) -> str:
        return str(Case.Outcome(self.outcome).label)


@dataclass(frozen=True)
class GoalCount:
    # Empty for goals written in the case manager's words.
    goal_name: str
    achieved: int

    @property
    def label(self) -> str:
        return gettext(self.goal_name) if self.goal_name else gettext("Goals in own words")


def consultations_by_month(scope: Scope, period: Period) -> list[ConsultationCount]:
    """Consultations and their minutes per month, channel and topic."""
    rows = (
        _cases_in(Consultation.objects.all(), scope, "case__")
        .filter(contact__date__range=(period.first, period.last))
        .annotate(month=TruncMonth("contact__date"))
        .values("month", "contact__channel", "topic__name")
        .annotate(consultations=Count("pk"), minutes=Sum("minutes"))
        .order_by("month", "contact__channel", "topic__name")
    )
    return [
        ConsultationCount(
            month=row["month"],
            channel=row["contact__channel"],
            topic_name=row["topic__name"],
            consultations=row["consultations"],
            minutes=row["minutes"],
        )
        for row in rows
    ]


def cases_by_month(scope: Scope, period: Period) -> list[CaseCount]:
    """Cases opened and cases closed, per month of the period."""
    cases = _cases_in(Case.objects.all(), scope)
    opened = _per_month(cases.filter(opened_on__range=(period.first, period.last)), "opened_on")
    closed = _per_month(cases.filter(closed_on__range=(period.first, period.last)), "closed_on")
    return [
        CaseCount(month=month, opened=opened.get(month, 0), closed=closed.get(month, 0))
        for month in sorted(opened.keys() | closed.keys())
    ]


def outcomes(scope: Scope, period: Period) -> list[OutcomeCount]:
    """Cases closed in the period, by how they ended."""
    rows = (
        _cases_in(Case.objects.all(), scope)
        .filter(closed_on__range=(period.first, period.last))
        .values("outcome")
        .annotate(cases=Count("pk"))
        .order_by("outcome")
    )
    return [OutcomeCount(outcome=row["outcome"], cases=row["cases"]) for row in rows]


def goals_achieved(scope: Scope, period: Period) -> list[GoalCount]:
    """Goals marked achieved in the period, by goal."""
    rows = (
        _cases_in(Goal.objects.all(), scope, "case__")
        .filter(status=Goal.Status.ACHIEVED, status_on__range=(period.first, period.last))
        .values("goal_type__name")
        .annotate(achieved=Count("pk"))
        .order_by("-achieved", "goal_type__name")
    )
    return [
        GoalCount(goal_name=row["goal_type__name"] or "", achieved=row["achieved"]) for row in rows
    ]


def _cases_in(queryset: QuerySet[M], scope: Scope, prefix: str = "") -> QuerySet[M]:
    """Rows of cases in the scope; ``prefix`` leads from the row to its case."""
    condition = Q(**{f"{prefix}org_id": scope.org_id})
    if scope.site_id is not None:
        condition &= Q(**{f"{prefix}site_id": scope.site_id})
    return queryset.filter(condition)


def _per_month(cases: QuerySet[Case], field: str) -> dict[datetime.date, int]:
    rows = (
        cases.annotate(month=TruncMonth(field))
        .values("month")
        .annotate(cases=Count("pk"))
        .order_by("month")
    )
    return {row["month"]: row["cases"] for row in rows}
