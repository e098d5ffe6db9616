"""Compute every measure of ``reports.definitions`` for a scope, period and splits.

Contacts, units and clients come from the day summaries
(``contacts.ContactDay`` and ``ServiceDay``), never from the raw contacts;
they, continuity, HIV tests and referrals are counted in the database
(``reports.cells`` and ``reports.events``), and overdoses, place and time
only, are grouped there too. Only the cells come back, in a fixed number of
queries whatever the period, the splits or the data.

Each cell is counted on its own (SPEC §3.3): a distinct count is counted
per cell, and the total is its own distinct count, never a sum of cells.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from outpost.contacts.models import ContactDay
from outpost.core.periods import Period
from outpost.reports import cells, events
from outpost.reports import definitions as d
from outpost.reports.models import PopulationEstimate
from outpost.reports.package import package_rules
from outpost.room.indicators import COHORT_DAYS
from outpost.room.models import OverdoseIncident

Key = tuple[str, ...]
Value = int | float | None
TOTAL: Key = ()
NO_GROUP = "none"
UNKNOWN = ""

# Place-and-time splits and the summary column each reads.
ROW_FIELDS = {d.CHANNEL: "channel", d.SITE: "site_id", d.ORG: "org_id", d.MONTH: "month"}


@dataclass(frozen=True)
class Scope:
    """Organisations, and optionally some of their sites."""

    org_ids: tuple[int, ...]
    site_ids: tuple[int, ...] | None = None

    def filter(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.filter(org_id__in=self.org_ids)
        if self.site_ids is not None:
            queryset = queryset.filter(site_id__in=self.site_ids)
        return queryset


@dataclass
class Figure:
    """One measure: its total and, when it takes the splits asked for, its cells."""

    measure: d.Measure
    split: bool
    total: Value = 0
    cells: dict[Key, Value] = field(default_factory=dict)
    # The two counts behind each ratio, so that small numbers can hide it.
    basis: dict[Key, tuple[int, int]] = field(default_factory=dict)
    # Cells hidden outside the organisation besides the small ones (output.py).
    withheld: frozenset[Key] | None = None


@dataclass
class Report:
    scope: Scope
    period: Period
    by: tuple[str, ...]
    figures: list[Figure]
    keys: list[Key]


def compute_report(
    scope: Scope, period: Period, by: Sequence[str] = (), measures: Collection[str] | None = None
) -> Report:
    """Every measure, or only the ``measures`` named, for the scope and period, split by ``by``.

    A source of figures that no measure asked for is not read: a report of
    clients reached alone costs one statement per set of splits.
    """
    unknown = [dim for dim in by if dim not in d.DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown splits: {unknown}")
    wanted = _wanted(measures)
    ids = {measure.id for measure in wanted}
    tally = _Tally(tuple(by), wanted)
    if ids & CONTACT_IDS:
        rules = package_rules(scope.org_ids) if "package_reached" in ids else {}
        tally.add(cells.contact_cells(scope.org_ids, scope.site_ids, period, tally.by, rules))
    if ids & set(events.EVENT_MEASURES):
        tally.add(events.event_cells(scope.org_ids, scope.site_ids, period, tally.by))
    if any(measure.indicator == "overdoses" for measure in wanted):
        tally.add(overdose_cells(scope, period, tally.by))
    if any(measure.indicator == "continuity" for measure in wanted):
        tally.add_continuity(scope, period)
    per_pwid = syringes_per_pwid(scope, period) if "syringes_per_pwid" in ids else (0, 0)
    return Report(scope, period, tally.by, tally.figures(per_pwid), sorted(tally.keys))


# The measures read from the contact summaries by ``cells.contact_cells``.
CONTACT_IDS = frozenset({*cells.CONTACT_MEASURES, "syringes_returned.rate"})


def _wanted(measure_ids: Collection[str] | None) -> tuple[d.Measure, ...]:
    if measure_ids is None:
        return tuple(d.MEASURES)
    unknown = set(measure_ids) - set(d.MEASURES_BY_ID)
    if unknown:
        raise ValueError(f"unknown measures: {sorted(unknown)}")
    return tuple(measure for measure in d.MEASURES if measure.id in measure_ids)


def age_band(age: int) -> str:
    return "<25" if age < 25 else "25+"


class _Tally:
    def __init__(self, by: tuple[str, ...], measures: tuple[d.Measure, ...]) -> None:
        self.by = by
        self.measures = measures
        # Every measure but continuity, by cell: no two sources share a name.
        self.counts: defaultdict[Key, Counter[str]] = defaultdict(Counter)
        self.continuity: cells.Cells = {}

    @property
    def keys(self) -> set[Key]:
        found = {*self.counts, *self.continuity}
        return {key for key in found if key != TOTAL}

    def add(self, found: cells.Cells) -> None:
        for key, counted in found.items():
            self.counts[key].update(counted)

    def add_continuity(self, scope: Scope, period: Period) -> None:
        """Not split by month: each month would need its own 90 days before it."""
        by = () if d.MONTH in self.by else self.by
        self.continuity = cells.continuity_cells(
            scope.org_ids, scope.site_ids, period, by, COHORT_DAYS
        )

    # Figures ----------------------------------------------------------------

    def figures(self, per_pwid: tuple[int, int]) -> list[Figure]:
        by = set(self.by)
        figures = []
        for measure in self.measures:
            split = by.issubset(measure.splits)
            if measure.indicator == "continuity" and d.MONTH in by:
                split = False
            figure = Figure(measure, split)
            keys = [TOTAL, *sorted(self.keys)] if split else [TOTAL]
            for key in keys:
                value, basis = self._value(measure, key, per_pwid)
                if key == TOTAL:
                    figure.total = value
                else:
                    figure.cells[key] = value
                if basis is not None:
                    figure.basis[key] = basis
            figures.append(figure)
        return figures

    def _value(
        self, measure: d.Measure, key: Key, per_pwid: tuple[int, int]
    ) -> tuple[Value, tuple[int, int] | None]:
        counted = self.counts.get(key, Counter())
        if measure.id == "syringes_per_pwid":
            return _ratio(*per_pwid), per_pwid
        if measure.id == "syringes_returned.rate":
            basis = (counted["syringes_returned"], counted["syringes"])
            return _ratio(*basis), basis
        if measure.indicator == "continuity":
            kept = self.continuity.get(key, Counter())
            if measure.id == "continuity":
                return _ratio(kept["kept"], kept["cohort"]), (kept["kept"], kept["cohort"])
            return kept["cohort" if measure.id == "continuity.cohort" else "kept"], None
        return counted[measure.id], None


def overdose_cells(scope: Scope, period: Period, by: Sequence[str]) -> cells.Cells:
    """Overdoses by cell; not about a client, they split by place and time only.

    Each incident counts in one cell, so the total is the sum of the cells.
    """
    dims = tuple(by) if d.PLACE_AND_TIME.issuperset(by) else ()
    incidents = scope.filter(
        OverdoseIncident.objects.filter(date__range=(period.first, period.last))
    )
    if d.MONTH in dims:
        incidents = incidents.annotate(month=TruncMonth("date"))
    measures = {
        "overdoses": Count("pk"),
        **{
            f"overdoses.{outcome}": Count("pk", filter=Q(outcome=outcome))
            for outcome in OverdoseIncident.Outcome.values
        },
        "overdoses.naloxone_doses": Sum("naloxone_doses", default=0),
    }
    # Plain names for the ORM: the measure ids have dots.
    aliases = {f"n{index}": measure for index, measure in enumerate(measures)}
    expressions = dict(zip(aliases, measures.values(), strict=True))
    if not dims:
        total = incidents.aggregate(**expressions)
        return {TOTAL: Counter({aliases[alias]: n for alias, n in total.items()})}
    fields = [ROW_FIELDS[dim] for dim in dims]
    found: cells.Cells = {TOTAL: Counter()}
    for row in incidents.values(*fields).annotate(**expressions).order_by():
        counted = Counter({measure: row[alias] for alias, measure in aliases.items()})
        found[cells.cell_key(dims, [row[name] for name in fields])] = counted
        found[TOTAL].update(counted)
    return found


def syringes_per_pwid(scope: Scope, period: Period) -> tuple[int, int]:
    """Syringes of the 12 months ending with the period, and the people estimated."""
    start = _year_before(period.last) + datetime.timedelta(days=1)
    syringes = scope.filter(ContactDay.objects.filter(date__range=(start, period.last))).aggregate(
        n=Sum("units_syringe")
    )["n"]
    estimates = PopulationEstimate.objects.filter(org_id__in=scope.org_ids)
    if scope.site_ids is not None:
        estimates = estimates.filter(sites__in=scope.site_ids).distinct()
    people = sum(estimates.values_list("people", flat=True))
    return syringes or 0, people


def _year_before(day: datetime.date) -> datetime.date:
    """The same day a year earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def scope_of(org_ids: Collection[int], site_ids: Collection[int] | None = None) -> Scope:
    return Scope(tuple(sorted(org_ids)), None if site_ids is None else tuple(sorted(site_ids)))
