"""Who the clients are and on which days each of them comes.

A person has one code. Most are registered in one organisation; a share in
two or three, with the same code and so the same network key. Each
registration is a client with a stay (the months or years they keep
coming) and a yearly visit rate from a heavy-tailed distribution; visits
fall on days drawn by the calendar's weights inside the stay.

Everything is kept in flat arrays indexed by client, since the national
scale has half a million clients and twelve million visits.
"""

from __future__ import annotations

import datetime
import math
import statistics
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from random import Random

from outpost.clients.uic import UICParts, fold_name, network_key
from outpost.datasets import plan
from outpost.datasets.days import Days
from outpost.datasets.plan import Scale, Weighted
from outpost.datasets.setup import World
from outpost.datasets.writer import Row
from outpost.demo.builder import RU_FATHERS, RU_MOTHERS, UK_FATHERS, UK_MOTHERS

INJECTING_PROFILE = 0
OTHER_PROFILE = 1
_MOTHERS = tuple(fold_name(name) for name in (*UK_MOTHERS, *RU_MOTHERS))
_FATHERS = tuple(fold_name(name) for name in (*UK_FATHERS, *RU_FATHERS))
_REGISTERED_SECOND = 8 * 3600
_SAMPLED_CLIENTS = 50_000
_CALIBRATION_ROUNDS = 4


@dataclass
class People:
    """Clients as columns; index ``i`` is the ``i``-th client drawn."""

    parts: list[UICParts] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    person: array[int] = field(default_factory=lambda: array("I"))
    org: array[int] = field(default_factory=lambda: array("H"))
    home_site: array[int] = field(default_factory=lambda: array("I"))
    profile: bytearray = field(default_factory=bytearray)
    groups: list[tuple[str, ...]] = field(default_factory=list)
    first_day: array[int] = field(default_factory=lambda: array("i"))
    last_day: array[int] = field(default_factory=lambda: array("i"))
    ids: array[int] = field(default_factory=lambda: array("q"))
    # Client indices by visit day.
    visits: list[array[int]] = field(default_factory=list)
    visit_count: int = 0
    median_visits_a_year: float = 0.0
    most_visits: int = 0

    @property
    def count(self) -> int:
        return len(self.org)


def draw_people(
    scale: Scale, world: World, days: Days, rng: Random, *, secret: bytes, first_id: int
) -> People:
    """Draw every client and their visit days, and number them by first visit."""
    people = People()
    _register(people, scale, world, days, rng, secret)
    stays, rates = _stays_and_rates(people.count, scale, days, rng)
    _draw_visits(people, scale, days, rng, stays, rates)
    order = sorted(range(people.count), key=people.first_day.__getitem__)
    people.ids = array("q", bytes(8 * people.count))
    for number, client in enumerate(order):
        people.ids[client] = first_id + number
    return people


def client_rows(
    people: People, world: World, days: Days, *, chunk: int
) -> Iterator[tuple[list[Row], list[Row]]]:
    """Clients and their groups in id order, ``chunk`` clients at a time."""
    order = sorted(range(people.count), key=people.ids.__getitem__)
    group_id = 1
    for start in range(0, len(order), chunk):
        clients: list[Row] = []
        groups: list[Row] = []
        for client in order[start : start + chunk]:
            client_id = people.ids[client]
            parts = people.parts[people.person[client]]
            clients.append(
                (
                    client_id,
                    world.orgs[people.org[client]].org_id,
                    parts.code,
                    parts.mother,
                    parts.father,
                    parts.sex,
                    parts.birth_date.isoformat(),
                    people.keys[people.person[client]],
                    days.text[people.first_day[client]],
                    days.text[people.last_day[client]],
                    days.moment(people.first_day[client], _REGISTERED_SECOND),
                )
            )
            for group in people.groups[client]:
                groups.append((group_id, client_id, group))
                group_id += 1
        yield clients, groups


def _register(
    people: People, scale: Scale, world: World, days: Days, rng: Random, secret: bytes
) -> None:
    sexes = Weighted(plan.SEXES)
    main_groups = Weighted(plan.MAIN_GROUPS)
    taken: set[str] = set()
    while people.count < scale.clients:
        parts = _new_parts(rng, sexes, days.start, taken)
        person = len(people.parts)
        people.parts.append(parts)
        people.keys.append(network_key(parts.code, secret))
        for org in _orgs_of_person(rng, scale, world)[: scale.clients - people.count]:
            people.person.append(person)
            people.org.append(org)
            people.home_site.append(world.orgs[org].site_choice.draw(rng))
            groups = _groups(rng, main_groups)
            people.groups.append(groups)
            people.profile.append(
                INJECTING_PROFILE if groups[0] in plan.INJECTING else OTHER_PROFILE
            )


def _new_parts(
    rng: Random, sexes: Weighted[str], start: datetime.date, taken: set[str]
) -> UICParts:
    while True:
        father = "99" if rng.random() < plan.UNKNOWN_FATHER_SHARE else rng.choice(_FATHERS)
        age = plan.AGE_MEDIAN * math.exp(plan.AGE_SIGMA * rng.gauss(0, 1))
        age = min(max(age, plan.AGE_RANGE[0]), plan.AGE_RANGE[1])
        birth = start - datetime.timedelta(days=int(age * 365.25) + rng.randrange(365))
        parts = UICParts(rng.choice(_MOTHERS), father, sexes.draw(rng), birth)
        # Different people with one code would be one person to the system.
        if parts.code not in taken:
            taken.add(parts.code)
            return parts


def _orgs_of_person(rng: Random, scale: Scale, world: World) -> list[int]:
    wanted = 1
    if scale.organisations > 1 and rng.random() < scale.shared_people:
        wanted = min(2 if rng.random() < 0.8 else 3, scale.organisations)
    orgs: list[int] = []
    while len(orgs) < wanted:
        org = world.org_choice.draw(rng)
        if org not in orgs:
            orgs.append(org)
    return orgs


def _groups(rng: Random, main_groups: Weighted[str]) -> tuple[str, ...]:
    main = main_groups.draw(rng)
    if rng.random() >= plan.SECOND_GROUP_SHARE:
        return (main,)
    second = main_groups.draw(rng)
    return (main,) if second == main else (main, second)


def _stays_and_rates(
    count: int, scale: Scale, days: Days, rng: Random
) -> tuple[list[tuple[int, int]], array[float]]:
    """Each client's first and last possible day, and visits a year meanwhile.

    Stays may begin before the span, so the first year already has
    regulars rather than only newcomers.
    """
    mean_stay = scale.mean_stay_years * 365.25
    stays: list[tuple[int, int]] = []
    rates = array("d")
    for _ in range(count):
        while True:
            begins = rng.uniform(-mean_stay, days.count)
            ends = begins + rng.expovariate(1 / mean_stay)
            first, last = max(0, int(begins)), min(days.count - 1, int(ends))
            if first <= last:
                break
        stays.append((first, last))
        if rng.random() < plan.DAILY_VISITOR_SHARE:
            rate = rng.uniform(*plan.DAILY_VISITOR_RATE)
        else:
            rate = plan.VISIT_RATE_MEDIAN * math.exp(plan.VISIT_RATE_SIGMA * rng.gauss(0, 1))
        rates.append(min(rate, plan.VISIT_RATE_MAX))
    return stays, rates


def _draw_visits(
    people: People,
    scale: Scale,
    days: Days,
    rng: Random,
    stays: list[tuple[int, int]],
    rates: array[float],
) -> None:
    expected = [
        rate * (last - first + 1) / 365.25
        for rate, (first, last) in zip(rates, stays, strict=True)
    ]
    factor = _calibrate(expected, scale.contacts * (1 - plan.ANONYMOUS_SHARE))
    people.visits = [array("I") for _ in range(days.count)]
    people.first_day = array("i", [days.count] * people.count)
    people.last_day = array("i", [-1] * people.count)
    step = max(1, people.count // _SAMPLED_CLIENTS)
    per_year: list[int] = []
    random = rng.random
    for client, ((first, last), mean) in enumerate(zip(stays, expected, strict=True)):
        wanted = mean * factor
        count = max(1, int(wanted) + (random() < wanted - int(wanted)))
        drawn = [days.draw(rng, first, last) for _ in range(count)]
        for day in drawn:
            people.visits[day].append(client)
        people.first_day[client] = min(drawn)
        people.last_day[client] = max(drawn)
        people.visit_count += count
        people.most_visits = max(people.most_visits, count)
        if client % step == 0:
            per_year.extend(_visits_by_year(drawn, days))
    people.median_visits_a_year = statistics.median(per_year)


def _calibrate(expected: list[float], target: float) -> float:
    """The factor on every rate that makes the visits add up to ``target``.

    Each client has at least one visit, so the factor is found by a few
    rounds of correction rather than one division.
    """
    factor = 1.0
    for _ in range(_CALIBRATION_ROUNDS):
        total = sum(max(1.0, mean * factor) for mean in expected)
        factor *= target / total
    return factor


def _visits_by_year(drawn: list[int], days: Days) -> list[int]:
    """Visits in each whole year of the span (365-day blocks) the client came in."""
    whole_years = max(1, days.count // 365)
    years: dict[int, int] = {}
    for day in drawn:
        year = day // 365
        if year < whole_years:
            years[year] = years.get(year, 0) + 1
    return list(years.values())
