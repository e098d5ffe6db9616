"""The HIV and HCV cascades (SPEC §4, reference §5), counted by clients.

Pure reads, reusable by reports: give a scope and a period, get the number
of distinct clients at each stage.

- The **period** cascade counts, for each stage on its own, the clients with
  that stage's event dated within the period; later stages may include
  people tested in an earlier period.
- The **cohort** cascade follows the clients tested in the period. "Reactive"
  counts those of them with a reactive result in the period; each later
  stage counts the clients of the stage before it whose event of this stage
  falls from their first reactive result in the period to ``days`` days
  after it, both days included. The scope's site chooses the cohort; its
  clients are then followed across the organisation.

"Tested" means a reactive or non-reactive result given to the client: a
rapid test done on site or a self-test result the client reported.
"""

import datetime
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outpost.core.periods import Period
from outpost.testing.models import ArtCourse, Disease, Milestone, Referral, Result, Test

COHORT_WINDOWS = (28, 90)

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """An organisation, or one site of it."""

    org_id: int
    site_id: int | None = None

    def whole_org(self) -> "Scope":
        return Scope(org_id=self.org_id)


Event = tuple[int, datetime.date]
# The (client id, date) events of one stage in a scope and period, limited
# to some clients when given.
Source = Callable[[Scope, Period, Collection[int] | None], list[Event]]


@dataclass(frozen=True)
class StageDefinition:
    code: str
    label: str | Promise
    events: Source


@dataclass(frozen=True)
class Stage:
    code: str
    label: str | Promise
    clients: int


def period_cascade(stages: Sequence[StageDefinition], scope: Scope, period: Period) -> list[Stage]:
    """Distinct clients with each stage's event within the period."""
    return [
        Stage(
            stage.code,
            stage.label,
            len({client for client, _ in stage.events(scope, period, None)}),
        )
        for stage in stages
    ]


def cohort_cascade(
    stages: Sequence[StageDefinition], scope: Scope, period: Period, days: int
) -> list[Stage]:
    """The clients tested in the period, followed for ``days`` days (see above)."""
    tested, reactive, *later = stages
    cohort = _first_dates(tested.events(scope, period, None))
    start = _first_dates(reactive.events(scope, period, cohort.keys()))
    counts = [Stage(tested.code, tested.label, len(cohort))]
    counts.append(Stage(reactive.code, reactive.label, len(start)))
    follow = Period(period.first, period.last + datetime.timedelta(days))
    reached = set(start)
    for stage in later:
        reached = {
            client
            for client, date in stage.events(scope.whole_org(), follow, reached)
            if start[client] <= date <= start[client] + datetime.timedelta(days)
        }
        counts.append(Stage(stage.code, stage.label, len(reached)))
    return counts


def _first_dates(events: list[Event]) -> dict[int, datetime.date]:
    first: dict[int, datetime.date] = {}
    for client, date in events:
        if client not in first or date < first[client]:
            first[client] = date
    return first


def _rows(
    queryset: QuerySet[M],
    date_field: str,
    scope: Scope,
    period: Period,
    clients: Collection[int] | None,
) -> list[Event]:
    queryset = queryset.filter(
        org_id=scope.org_id, **{f"{date_field}__range": (period.first, period.last)}
    )
    if scope.site_id is not None:
        queryset = queryset.filter(site_id=scope.site_id)
    if clients is not None:
        queryset = queryset.filter(client_id__in=list(clients))
    return [(client, date) for client, date in queryset.values_list("client_id", date_field)]


def tested(disease: str, *, reactive: bool = False) -> Source:
    def events(scope: Scope, period: Period, clients: Collection[int] | None) -> list[Event]:
        tests = Test.objects.with_result_given().filter(disease=disease)
        if reactive:
            tests = tests.filter(result=Result.REACTIVE)
        return _rows(tests, "tested_on", scope, period, clients)

    return events


def referred(target: str, disease: str = "") -> Source:
    def events(scope: Scope, period: Period, clients: Collection[int] | None) -> list[Event]:
        referrals = Referral.objects.filter(target=target, disease=disease)
        return _rows(referrals, "issued_on", scope, period, clients)

    return events


def reached(target: str) -> Source:
    def events(scope: Scope, period: Period, clients: Collection[int] | None) -> list[Event]:
        referrals = Referral.objects.filter(target=target, status=Referral.Status.COMPLETED)
        return _rows(referrals, "completed_on", scope, period, clients)

    return events


def outcome(*kinds: str) -> Source:
    def events(scope: Scope, period: Period, clients: Collection[int] | None) -> list[Event]:
        return _rows(
            Milestone.objects.filter(kind__in=kinds), "occurred_on", scope, period, clients
        )

    return events


def art_started(scope: Scope, period: Period, clients: Collection[int] | None) -> list[Event]:
    return _rows(ArtCourse.objects.all(), "started_on", scope, period, clients)


HIV: list[StageDefinition] = [
    StageDefinition("tested", _("Tested, result received"), tested(Disease.HIV)),
    StageDefinition("reactive", _("Reactive"), tested(Disease.HIV, reactive=True)),
    StageDefinition(
        "referred",
        _("Referred for confirmation"),
        referred(Referral.Target.CONFIRMATORY, Disease.HIV),
    ),
    StageDefinition("confirmed", _("Confirmed positive"), outcome(Milestone.Kind.HIV_CONFIRMED)),
    StageDefinition("linked", _("Linked to HIV care"), reached(Referral.Target.HIV_CARE)),
    StageDefinition("art", _("Started ART"), art_started),
]

HCV: list[StageDefinition] = [
    StageDefinition("tested", _("Antibody tested, result received"), tested(Disease.HCV)),
    StageDefinition("reactive", _("Antibody reactive"), tested(Disease.HCV, reactive=True)),
    StageDefinition(
        "referred",
        _("Referred for confirmation"),
        referred(Referral.Target.CONFIRMATORY, Disease.HCV),
    ),
    StageDefinition(
        "rna_tested",
        _("RNA or antigen tested"),
        outcome(Milestone.Kind.HCV_VIRAEMIC, Milestone.Kind.HCV_NOT_VIRAEMIC),
    ),
    StageDefinition("viraemic", _("Viraemic"), outcome(Milestone.Kind.HCV_VIRAEMIC)),
    StageDefinition(
        "treated", _("Treatment started"), outcome(Milestone.Kind.HCV_TREATMENT_STARTED)
    ),
    StageDefinition("cured", _("Cured"), outcome(Milestone.Kind.HCV_CURED)),
]

CASCADES = {Disease.HIV: HIV, Disease.HCV: HCV}
