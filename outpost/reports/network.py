"""Reach across a network of organisations, matched by network key (SPEC §1.3).

The same code gives the same network key in every organisation, so a
person registered by two members is counted once in the network. The keys
are read only to count; no key, code, client id or site leaves this module.

Every figure is meant to leave the organisation, so the small-numbers rule
(SPEC §3.4) always applies, and further so that no count from 1 to 9 can be
worked back from the figures shown together on one page:

- *Primary:* a count from 1 to 9 is shown as ``<10``.
- *What the viewer already knows:* staff of a member know their own
  organisation's exact counts. A network figure whose part outside the
  viewer's organisation is from 1 to 9 is hidden, since subtracting their
  own count would give it.
- *Tables that add up to a total* (people by sex and age band; contacts by
  member and by month): when the cells hidden by the two rules above add up
  to 1–9, more cells are hidden, smallest first, until they do not.
- *Reach per member:* the people seen by exactly one set of members (only
  A, only B, both …) are the pieces that the network total, the per-member
  counts and "seen by more than one" are built from; with all of them shown,
  any piece can be worked out. So reach per member is shown only when every
  piece is 0 or at least 10; "seen by more than one" is hidden when the
  people seen by one member only number 1–9.

Reach per month is not shown beside the period's total, because the
overlaps between months would give small counts back; a month's reach is
the total of a one-month period. Two pages for overlapping periods can
still be subtracted from each other: only rounding would stop that, and
SPEC §3.4 does not ask for it.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Min, Sum

from outpost.clients.uic import age_on
from outpost.contacts.models import ContactDay
from outpost.core.choices import Sex
from outpost.core.periods import Period
from outpost.reports.indicators import age_band
from outpost.reports.models import Network
from outpost.reports.output import SMALL, Shown

AGE_BANDS = ("<25", "25+")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Count:
    """A network count and the part of it the viewing organisation knows."""

    value: int
    known: int = 0


@dataclass(frozen=True)
class MemberRow:
    org_id: int
    name: str
    is_viewer: bool
    reached: Shown
    contacts: Shown


@dataclass(frozen=True)
class SexRow:
    sex: str
    label: str
    cells: list[Shown]


@dataclass(frozen=True)
class NetworkFigures:
    """A network's figures for a period, as they may be shown (None: hidden)."""

    period: Period
    reached: Shown
    seen_by_several: Shown
    contacts: Shown
    members: list[MemberRow]
    reach_by_member_hidden: bool
    months: list[tuple[datetime.date, Shown]]
    by_sex_and_age: list[SexRow]
    bands: tuple[str, ...] = AGE_BANDS


@dataclass
class _People:
    """Who was reached, by network key; only counts leave this class."""

    orgs: defaultdict[str, set[int]]
    first: dict[str, datetime.date]
    cell: dict[str, tuple[str, str]]


def network_figures(network: Network, period: Period, viewer_id: int) -> NetworkFigures:
    """Figures of the network's members for the period, protected for the viewer.

    Three queries, whatever the period and the number of members.
    """
    members = list(network.members.order_by("name").values_list("pk", "name"))
    member_ids = [pk for pk, _name in members]
    people = _people(member_ids, period)
    contacts = _contacts(member_ids, period)
    viewer_reached = sum(1 for orgs in people.orgs.values() if viewer_id in orgs)
    total = shown(Count(len(people.orgs), viewer_reached))
    several = _seen_by_several(people, total)
    hide_members = _pieces_are_small(people)
    by_org = _contacts_by(contacts, viewer_id, lambda org_id, _month: org_id)
    contacts_total = Count(
        sum(count.value for count in by_org.values()),
        sum(count.known for count in by_org.values()),
    )
    contacts_shown = shown(contacts_total)
    org_cells = protect_table(by_org, total_shown=isinstance(contacts_shown, int))
    rows = [
        MemberRow(
            org_id=pk,
            name=name,
            is_viewer=pk == viewer_id,
            reached=None if hide_members else _member_reach(people, pk, viewer_id),
            contacts=org_cells.get(pk, 0),
        )
        for pk, name in members
    ]
    by_month = _contacts_by(contacts, viewer_id, lambda _org_id, month: month)
    month_cells = protect_table(by_month, total_shown=isinstance(contacts_shown, int))
    return NetworkFigures(
        period=period,
        reached=total,
        seen_by_several=several,
        contacts=contacts_shown,
        members=rows,
        reach_by_member_hidden=hide_members,
        months=sorted(month_cells.items()),
        by_sex_and_age=_by_sex_and_age(people, viewer_id, total_shown=isinstance(total, int)),
    )


def shown(count: Count) -> Shown:
    """``<10`` for 1–9; hidden when the part the viewer does not know is 1–9."""
    if 1 <= count.value <= 9:
        return SMALL
    if 1 <= count.value - count.known <= 9:
        return None
    return count.value


def protect_table(cells: Mapping[K, Count], *, total_shown: bool) -> dict[K, Shown]:
    """The cells of a table whose total is shown, hidden so no small count adds back."""
    result = {key: shown(count) for key, count in cells.items()}
    if not total_shown:
        return result
    hidden = {key for key, value in result.items() if not isinstance(value, int)}
    spare = sorted(
        (key for key, count in cells.items() if key not in hidden and count.value > 0),
        key=lambda key: (cells[key].value, str(key)),
    )

    def adds_back() -> bool:
        rest = sum(cells[key].value for key in hidden)
        unknown = sum(cells[key].value - cells[key].known for key in hidden)
        return 1 <= rest <= 9 or 1 <= unknown <= 9

    while spare and adds_back():
        key = spare.pop(0)
        hidden.add(key)
        result[key] = None
    return result


def _people(member_ids: list[int], period: Period) -> _People:
    rows = (
        ContactDay.objects.filter(
            org_id__in=member_ids,
            date__range=(period.first, period.last),
            client__isnull=False,
        )
        .values("client__network_key", "org_id", "client__sex", "client__birth_date")
        .annotate(first=Min("date"))
        .order_by()
    )
    people = _People(orgs=defaultdict(set), first={}, cell={})
    birth: dict[str, tuple[str, datetime.date]] = {}
    for row in rows:
        key = row["client__network_key"]
        people.orgs[key].add(row["org_id"])
        if key not in people.first or row["first"] < people.first[key]:
            people.first[key] = row["first"]
        # The code holds sex and date of birth, so one key has one of each.
        birth[key] = (row["client__sex"], row["client__birth_date"])
    for key, (sex, born) in birth.items():
        people.cell[key] = (sex, age_band(age_on(born, people.first[key])))
    return people


def _contacts(member_ids: list[int], period: Period) -> dict[tuple[int, datetime.date], int]:
    rows = (
        ContactDay.objects.filter(org_id__in=member_ids, date__range=(period.first, period.last))
        .values("org_id", "month")
        .annotate(n=Sum("contacts"))
        .order_by()
    )
    return {(row["org_id"], row["month"]): row["n"] for row in rows}


def _contacts_by(
    contacts: Mapping[tuple[int, datetime.date], int],
    viewer_id: int,
    key_of: Callable[[int, datetime.date], K],
) -> dict[K, Count]:
    values: Counter[K] = Counter()
    known: Counter[K] = Counter()
    for (org_id, month), n in contacts.items():
        key = key_of(org_id, month)
        values[key] += n
        if org_id == viewer_id:
            known[key] += n
    return {key: Count(values[key], known[key]) for key in values}


def _pieces_are_small(people: _People) -> bool:
    """Whether some set of members shares 1–9 people that no other member saw."""
    pieces = Counter(frozenset(orgs) for orgs in people.orgs.values())
    return any(1 <= n <= 9 for n in pieces.values())


def _seen_by_several(people: _People, total: Shown) -> Shown:
    several = sum(1 for orgs in people.orgs.values() if len(orgs) > 1)
    value = shown(Count(several))
    if isinstance(value, int) and isinstance(total, int) and 1 <= total - value <= 9:
        return None
    return value


def _member_reach(people: _People, org_id: int, viewer_id: int) -> Shown:
    reached = sum(1 for orgs in people.orgs.values() if org_id in orgs)
    return shown(Count(reached, reached if org_id == viewer_id else 0))


def _by_sex_and_age(people: _People, viewer_id: int, *, total_shown: bool) -> list[SexRow]:
    values: Counter[tuple[str, str]] = Counter()
    known: Counter[tuple[str, str]] = Counter()
    # The viewer's own reports band a client by the first contact with the
    # viewer, which can fall on the other side of a birthday; the network's
    # band is close enough to stand for what the viewer knows.
    for key, cell in people.cell.items():
        values[cell] += 1
        if viewer_id in people.orgs[key]:
            known[cell] += 1
    cells = {
        (sex, band): Count(values[(sex, band)], known[(sex, band)])
        for sex in Sex.values
        for band in AGE_BANDS
    }
    protected = protect_table(cells, total_shown=total_shown)
    return [
        SexRow(sex=sex, label=str(label), cells=[protected[(sex, band)] for band in AGE_BANDS])
        for sex, label in Sex.choices
    ]
