"""Compute every measure of ``reports.definitions`` for a scope, period and splits.

Contacts, units and clients come from the day summaries
(``contacts.ContactDay`` and ``ServiceDay``), never from the raw contacts,
and are counted in the database (``reports.cells``); tests, referrals and
overdoses, far fewer, are counted here from their own tables. A fixed
number of queries whatever the period or the splits.

Each cell is counted on its own (SPEC §3.3): a distinct count is counted
per cell, and the total is its own distinct count, never a sum of cells.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, Q, QuerySet, Sum

from outpost.clients.models import ClientGroup
from outpost.clients.uic import age_on
from outpost.contacts.models import ContactDay
from outpost.core.periods import Period
from outpost.reports import cells
from outpost.reports import definitions as d
from outpost.reports.models import PopulationEstimate
from outpost.reports.package import Rule, package_rules
from outpost.room.indicators import COHORT_DAYS
from outpost.room.models import OverdoseIncident
from outpost.testing.models import Disease, Referral, Test

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


def compute_report(scope: Scope, period: Period, by: Sequence[str] = ()) -> Report:
    """Every measure for the scope and period, split by ``by`` (in that order)."""
    unknown = [dim for dim in by if dim not in d.DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown splits: {unknown}")
    splits = _Splits(tuple(by), period)
    tally = _Tally(splits)
    tally.add_contacts(scope, period, package_rules(scope.org_ids))
    tally.learn_people(scope, period)
    tally.add_tests(scope, period)
    tally.add_referrals(scope, period)
    tally.add_overdoses(scope, period)
    tally.add_continuity(scope, period)
    figures = tally.figures(syringes_per_pwid(scope, period))
    return Report(scope, period, splits.by, figures, sorted(tally.keys))


def age_band(age: int) -> str:
    return "<25" if age < 25 else "25+"


FINE_BANDS = ((15, "10–14"), (20, "15–19"), (25, "20–24"), (30, "25–29"), (40, "30–39"))


def age_band_fine(age: int) -> str:
    if age < 10:
        return "<10"
    for below, band in FINE_BANDS:
        if age < below:
            return band
    return "40–49" if age < 50 else "50+"


@dataclass(frozen=True)
class _Client:
    sex: str
    birth: datetime.date
    first_contact: datetime.date | None
    org_id: int


class _Splits:
    """Turns a row into the cell keys it counts in, in the order asked."""

    def __init__(self, by: tuple[str, ...], period: Period) -> None:
        self.by = by
        self.period = period
        self.row_dims = [dim for dim in by if dim in ROW_FIELDS]
        self.fields = [ROW_FIELDS[dim] for dim in self.row_dims]
        self.groups: dict[int, list[str]] = {}
        # (client, month or None) → first contact date in that period.
        self.first_seen: dict[tuple[int, str], datetime.date] = {}

    def bucket(self, place: dict[str, str]) -> str:
        return place.get(d.MONTH, "")

    def place(self, row: dict[str, Any], **names: str) -> dict[str, str]:
        """The row's place-and-time values, keyed by split."""
        values: dict[str, str] = {}
        for dim in self.row_dims:
            raw = row[names.get(dim, ROW_FIELDS[dim])]
            values[dim] = _month_key(raw) if dim == d.MONTH else str(raw)
        return values

    def can_split(self, splits: frozenset[str]) -> bool:
        return set(self.by).issubset(splits)

    def keys(
        self,
        place: dict[str, str],
        client_id: int | None,
        client: _Client | None,
        age_day: datetime.date | None,
        only_splits: frozenset[str] = d.ALL,
    ) -> Iterator[Key]:
        """Every cell the row counts in; groups fan a client out to several."""
        yield TOTAL
        if not self.by or not self.can_split(only_splits):
            return
        people = self._person(client_id, client, age_day)
        groups = people.pop(d.GROUP, [UNKNOWN]) if d.GROUP in self.by else [UNKNOWN]
        for group in groups:
            yield tuple(
                group if dim == d.GROUP else people.get(dim, place.get(dim, UNKNOWN))
                for dim in self.by
            )

    def _person(
        self, client_id: int | None, client: _Client | None, age_day: datetime.date | None
    ) -> dict[str, Any]:
        if client_id is None or client is None or age_day is None:
            return {d.SEX: UNKNOWN, d.AGE_BAND: UNKNOWN, d.AGE_BAND_FINE: UNKNOWN}
        age = age_on(client.birth, age_day)
        return {
            d.SEX: client.sex,
            d.AGE_BAND: age_band(age),
            d.AGE_BAND_FINE: age_band_fine(age),
            d.GROUP: self.groups.get(client_id, [NO_GROUP]),
        }


class _Cell:
    def __init__(self) -> None:
        self.sums: Counter[str] = Counter()
        self.sets: defaultdict[str, set[int]] = defaultdict(set)


class _Tally:
    def __init__(self, splits: _Splits) -> None:
        self.splits = splits
        self.cells: defaultdict[Key, _Cell] = defaultdict(_Cell)
        self.contacts: cells.Cells = {}
        self.continuity: cells.Cells = {}
        self.clients: dict[int, _Client] = {}

    @property
    def keys(self) -> set[Key]:
        found = {*self.cells, *self.contacts, *self.continuity}
        return {key for key in found if key != TOTAL}

    def add_contacts(self, scope: Scope, period: Period, rules: dict[int, Rule]) -> None:
        self.contacts = cells.contact_cells(
            scope.org_ids, scope.site_ids, period, self.splits.by, rules
        )

    def add_continuity(self, scope: Scope, period: Period) -> None:
        """Not split by month: each month would need its own 90 days before it."""
        by = () if d.MONTH in self.splits.by else self.splits.by
        self.continuity = cells.continuity_cells(
            scope.org_ids, scope.site_ids, period, by, COHORT_DAYS
        )

    def learn_people(self, scope: Scope, period: Period) -> None:
        """First contacts and groups of the clients tested or referred in the period.

        Split by age, a test or referral counts at the age on the client's
        first contact in the period; a client may be tested with no contact
        lately, so groups are read for them too.
        """
        tested = scope.filter(
            Test.objects.filter(tested_on__range=(period.first, period.last))
        ).values("client_id")
        referred = scope.filter(
            Referral.objects.filter(issued_on__range=(period.first, period.last))
        ).values("client_id")
        named = Q(client_id__in=tested) | Q(client_id__in=referred)
        if d.AGE_BAND in self.splits.by or d.AGE_BAND_FINE in self.splits.by:
            bucket = ["month"] if d.MONTH in self.splits.by else []
            rows = (
                scope.filter(ContactDay.objects.filter(date__range=(period.first, period.last)))
                .filter(named)
                .values("client_id", *bucket)
                .annotate(first=Min("date"))
                .order_by()
            )
            for row in rows:
                month = _month_key(row["month"]) if bucket else ""
                self.splits.first_seen[(row["client_id"], month)] = row["first"]
        if d.GROUP in self.splits.by:
            groups: defaultdict[int, list[str]] = defaultdict(list)
            for client_id, group in (
                ClientGroup.objects.filter(named)
                .order_by("group")
                .values_list("client_id", "group")
            ):
                groups[client_id].append(group)
            self.splits.groups = dict(groups)

    def _age_day(self, client_id: int | None, place: dict[str, str]) -> datetime.date | None:
        if client_id is None:
            return None
        return self.splits.first_seen.get((client_id, self.splits.bucket(place)))

    # Tests, referrals, overdoses ------------------------------------------

    def add_tests(self, scope: Scope, period: Period) -> None:
        rows = (
            scope.filter(Test.objects.with_result_given())
            .filter(disease=Disease.HIV, tested_on__range=(period.first, period.last))
            .values(
                "client_id",
                "org_id",
                "site_id",
                "tested_on",
                "contact__channel",
                "client__sex",
                "client__birth_date",
                "client__first_contact_date",
            )
            .distinct()
            .order_by()
        )
        for row in rows:
            row["month"] = row["tested_on"]
            place = self.splits.place(row, channel="contact__channel")
            client_id = row["client_id"]
            client = self.clients.get(client_id) or _client_of(row)
            age_day = self._age_day(client_id, place) or row["tested_on"]
            for key in self.splits.keys(place, client_id, client, age_day):
                self.cells[key].sets["hiv_tested"].add(client_id)

    def add_referrals(self, scope: Scope, period: Period) -> None:
        rows = scope.filter(Referral.objects.filter(issued_on__range=(period.first, period.last)))
        for row in rows.values(
            "client_id",
            "org_id",
            "site_id",
            "issued_on",
            "status",
            "client__sex",
            "client__birth_date",
            "client__first_contact_date",
        ).order_by():
            row["month"] = row["issued_on"]
            row["channel"] = UNKNOWN
            place = self.splits.place(row)
            client_id = row["client_id"]
            client = self.clients.get(client_id) or _client_of(row)
            age_day = self._age_day(client_id, place) or row["issued_on"]
            for key in self.splits.keys(place, client_id, client, age_day, d.NO_CHANNEL):
                self.cells[key].sums["referrals"] += 1
                if row["status"] == Referral.Status.COMPLETED:
                    self.cells[key].sums["referrals.completed"] += 1

    def add_overdoses(self, scope: Scope, period: Period) -> None:
        rows = scope.filter(
            OverdoseIncident.objects.filter(date__range=(period.first, period.last))
        )
        for row in rows.values(
            "org_id", "site_id", "date", "outcome", "naloxone_doses"
        ).order_by():
            row["month"] = row["date"]
            row["channel"] = UNKNOWN
            place = self.splits.place(row)
            for key in self.splits.keys(place, None, None, None, d.PLACE_AND_TIME):
                cell = self.cells[key]
                cell.sums["overdoses"] += 1
                cell.sums[f"overdoses.{row['outcome']}"] += 1
                cell.sums["overdoses.naloxone_doses"] += row["naloxone_doses"]

    # Figures ----------------------------------------------------------------

    def figures(self, per_pwid: tuple[int, int]) -> list[Figure]:
        by = set(self.splits.by)
        figures = []
        for measure in d.MEASURES:
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
        cell = self.cells.get(key) or _Cell()
        counted = self.contacts.get(key, Counter())
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
        if measure.id in cells.CONTACT_MEASURES:
            return counted[measure.id], None
        if measure.distinct:
            return len(cell.sets[measure.id]), None
        return cell.sums[measure.id], None


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


def _month_key(value: datetime.date | str) -> str:
    return str(value)[:7]


def _client_of(row: dict[str, Any]) -> _Client:
    return _Client(
        row["client__sex"],
        row["client__birth_date"],
        row["client__first_contact_date"],
        row["org_id"],
    )


def scope_of(org_ids: Collection[int], site_ids: Collection[int] | None = None) -> Scope:
    return Scope(tuple(sorted(org_ids)), None if site_ids is None else tuple(sorted(site_ids)))
