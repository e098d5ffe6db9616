"""Contacts day by day, with their items, services, tests and referrals.

Days are generated in order, so contact ids follow the calendar as they do
when staff enter them. Rows wait in buffers and are written in chunks,
parents first; tests wait for the month's end, when the ledger knows which
lot each test kit came from.
"""

import datetime
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

from outpost.core.choices import Channel
from outpost.datasets import plan
from outpost.datasets.days import Days
from outpost.datasets.handouts import NOTHING, SELF_TEST_POSITION, Handout
from outpost.datasets.people import INJECTING_PROFILE, People
from outpost.datasets.plan import Weighted
from outpost.datasets.progress import Progress
from outpost.datasets.setup import ITEM_CATEGORIES, OrgRef, SiteRef, World
from outpost.datasets.stock import KEY_STRIDE, Ledger, Portions
from outpost.datasets.writer import (
    CONTACT_ITEMS,
    CONTACT_SERVICES,
    CONTACTS,
    MOVEMENTS,
    REFERRALS,
    TESTS,
    Row,
    Table,
    Writer,
)
from outpost.testing.models import KIT_CATEGORY, LOST_AFTER_DAYS, Disease, Referral, Result, Test

FLUSH_ROWS = 200_000
_TESTING_CHANNELS = frozenset(
    {Channel.ROOM, Channel.WINDOW, Channel.MOBILE_UNIT, Channel.OUTREACH}
)
_RAPID_TEST_POSITION = {
    disease: ITEM_CATEGORIES.index(category) for disease, category in KIT_CATEGORY.items()
}
# Results that stay: such a client is not tested for that disease again.
_KNOWN_POSITIVE: dict[str, int] = {Disease.HIV: 1, Disease.HCV: 2, Disease.HBV: 4}
_HOURS = {
    channel: (low * 3600, (high - low) * 3600) for channel, (low, high) in plan.HOURS.items()
}
_RECORDED_LATE_SECOND = 9 * 3600
_WORKING_SECONDS = 10 * 3600
_SELF_TEST_REPORTED_SECOND = 11 * 3600
_NOT_YET = -1_000_000


@dataclass(frozen=True)
class _PendingTest:
    """A test row waiting for its kit's lot: unit ``offset`` of its day's use."""

    row: list[object]
    key: int
    day: int
    offset: int


class Activity:
    def __init__(
        self,
        *,
        world: World,
        people: People,
        days: Days,
        rng: Random,
        handouts: Sequence[tuple[list[Handout], list[Handout]]],
        writer: Writer,
        progress: Progress,
    ) -> None:
        self.world, self.people, self.days, self.rng = world, people, days, rng
        self.handouts = handouts
        self.writer, self.progress = writer, progress
        self.ledger = Ledger(world, days, first_id=writer.first_id(MOVEMENTS))
        self.next_id = {table.name: writer.first_id(table) for table in _NUMBERED_HERE}
        self.buffers: dict[str, list[Row]] = {table.name: [] for table in _OWN_TABLES}
        self.pending_tests: list[_PendingTest] = []
        self.day_use: dict[int, int] = {}
        self.month_use: list[tuple[int, int, int]] = []
        self.last_test = array("i", [_NOT_YET]) * people.count
        self.known_positive = bytearray(people.count)
        self.referral_targets = Weighted(plan.REFERRAL_TARGETS)
        self.confirmations = Weighted(plan.CONFIRMATIONS)
        self.contacts_written = 0
        self.expected_contacts = int(people.visit_count / (1 - plan.ANONYMOUS_SHARE))

    def run(self) -> None:
        anonymous_ratio = plan.ANONYMOUS_SHARE / (1 - plan.ANONYMOUS_SHARE)
        for day in range(self.days.count):
            for client in self.people.visits[day]:
                site = self._site_of(client)
                self._contact(day, site, client, self.people.profile[client])
            wanted = len(self.people.visits[day]) * anonymous_ratio
            for _ in range(int(wanted) + (self.rng.random() < wanted % 1)):
                site = self.world.sites[self.world.site_choice.draw(self.rng)]
                self._contact(day, site, -1, INJECTING_PROFILE)
            self._end_day(day)
            self.progress.step("contacts", self.contacts_written, self.expected_contacts)
        self.progress.step("contacts", self.contacts_written, self.expected_contacts, force=True)

    def _site_of(self, client: int) -> SiteRef:
        if self.rng.random() >= plan.OTHER_SITE_SHARE:
            return self.world.sites[self.people.home_site[client]]
        org = self.world.orgs[self.people.org[client]]
        return self.world.sites[org.site_choice.draw(self.rng)]

    def _contact(self, day: int, site: SiteRef, client: int, profile: int) -> None:
        """One contact; ``client`` is -1 for an anonymous one."""
        random = self.rng.random
        org = self.world.orgs[site.org_index]
        channel = site.channels.draw(self.rng)
        handout = NOTHING
        if channel not in plan.REMOTE_CHANNELS and random() >= plan.NO_HANDOUT_SHARE:
            handout = self.handouts[site.org_index][profile][int(random() * plan.HANDOUT_VARIETY)]
        low, span = _HOURS[channel]
        second = low + int(random() * span)
        recorded_at = self._recorded_at(day, second)
        contact_id = self._take_id(CONTACTS)
        returned = 0
        if profile == INJECTING_PROFILE and handout.syringes and random() < plan.RETURNS_SHARE:
            returned = max(1, int(handout.syringes * (0.3 + 0.9 * random())))
        peers = units_for_peers = 0
        if client >= 0 and handout.units and random() < plan.PEERS_SHARE:
            peers = 1 + min(9, int(self.rng.expovariate(0.8)))
            units_for_peers = max(1, int(handout.units * (0.3 + 0.4 * random())))
        client_id = self.people.ids[client] if client >= 0 else None
        self.buffers[CONTACTS.name].append(
            (
                contact_id,
                site.org_id,
                site.site_id,
                client_id,
                channel,
                self.days.moment(day, second),
                self.days.text[day],
                site.worker_id,
                returned,
                peers,
                units_for_peers,
                None,
                recorded_at,
            )
        )
        self._items(day, site, contact_id, handout, client)
        services = self._services(site, channel, returned, client)
        if client >= 0:
            visit = _Visit(day, site, org, client, contact_id, recorded_at, services)
            if channel in _TESTING_CHANNELS and self._offers_tests(day, client):
                self._tests(visit)
            if random() < plan.REFERRAL_SHARE:
                self._referral(visit, self._target(client), None, "")
        rows = self.buffers[CONTACT_SERVICES.name]
        for code in services:
            rows.append((self._take_id(CONTACT_SERVICES), contact_id, org.service_ids[code]))
        self.contacts_written += 1

    def _items(
        self, day: int, site: SiteRef, contact_id: int, handout: Handout, client: int
    ) -> None:
        rows = self.buffers[CONTACT_ITEMS.name]
        use = self.day_use
        base = site.index * KEY_STRIDE
        for number, (item_id, kit_id, quantity, position) in enumerate(handout.lines):
            line_id = self._take_id(CONTACT_ITEMS)
            rows.append((line_id, contact_id, item_id, kit_id, quantity))
            key = base + position
            offset = use.get(key, 0)
            use[key] = offset + quantity
            if number == handout.self_test_line and client >= 0:
                self._self_test_result(day, site, contact_id, client, line_id, item_id, offset)

    def _services(self, site: SiteRef, channel: str, returned: int, client: int) -> list[str]:
        random = self.rng.random
        services: list[str] = []
        counselling = plan.SERVICE_SHARES["counselling"]
        if random() < (counselling if client >= 0 else plan.ANONYMOUS_COUNSELLING_SHARE):
            services.append("counselling")
        if random() < plan.SERVICE_SHARES["information"]:
            services.append("information")
        if channel == Channel.ROOM and random() < plan.SAFER_USE_SPACE_SHARE:
            services.append("safer_use_space")
        if returned:
            services.append("disposal")
        return services

    def _offers_tests(self, day: int, client: int) -> bool:
        if day - self.last_test[client] < plan.TEST_INTERVAL_DAYS:
            return False
        first = day == self.people.first_day[client]
        return self.rng.random() < (plan.FIRST_VISIT_TEST_SHARE if first else plan.TEST_SHARE)

    def _tests(self, visit: "_Visit") -> None:
        random = self.rng.random
        client = visit.client
        self.last_test[client] = visit.day
        injecting = self.people.profile[client] == INJECTING_PROFILE
        counselled = tested = False
        for disease, (if_injecting, otherwise) in plan.TESTED_FOR.items():
            known = _KNOWN_POSITIVE.get(disease, 0)
            if self.known_positive[client] & known:
                continue
            if random() >= (if_injecting if injecting else otherwise):
                continue
            result = self._result(disease)
            given = result != Result.INVALID and random() < plan.RESULT_GIVEN_SHARE
            pre = random() < plan.PRE_COUNSELLING_SHARE
            post = given and random() < plan.POST_COUNSELLING_SHARE
            test_id = self._rapid_test(visit, disease, result, given=given, pre=pre, post=post)
            tested = True
            counselled = counselled or pre or post
            if result == Result.REACTIVE:
                self.known_positive[client] |= known
                if random() < plan.CONFIRMATORY_SHARE:
                    self._referral(visit, Referral.Target.CONFIRMATORY, test_id, disease)
        if tested:
            _add_service(visit.services, "testing")
        if counselled:
            _add_service(visit.services, "counselling")

    def _result(self, disease: str) -> str:
        draw = self.rng.random()
        if draw < plan.INVALID_SHARE:
            return Result.INVALID
        if draw < plan.INVALID_SHARE + plan.REACTIVE_SHARE[disease]:
            return Result.REACTIVE
        return Result.NON_REACTIVE

    def _rapid_test(
        self, visit: "_Visit", disease: str, result: str, *, given: bool, pre: bool, post: bool
    ) -> int:
        position = _RAPID_TEST_POSITION[disease]
        key = visit.site.index * KEY_STRIDE + position
        offset = self.day_use.get(key, 0)
        self.day_use[key] = offset + 1
        test_id = self._take_id(TESTS)
        row: list[object] = [
            test_id,
            visit.site.org_id,
            visit.site.site_id,
            self.people.ids[visit.client],
            visit.contact_id,
            disease,
            Test.Method.RAPID.value,
            visit.org.item_ids[position],
            "",
            None,
            pre,
            result,
            given,
            post,
            self.days.text[visit.day],
            visit.site.worker_id,
            visit.recorded_at,
            None,
        ]
        self.pending_tests.append(_PendingTest(row, key, visit.day, offset))
        return test_id

    def _self_test_result(
        self,
        day: int,
        site: SiteRef,
        contact_id: int,
        client: int,
        line_id: int,
        item_id: int,
        offset: int,
    ) -> None:
        """Now and then the client reports the result of a self-test handed out."""
        if self.rng.random() >= plan.SELF_TEST_REPORTED_SHARE:
            return
        reported = day + self.rng.randint(*plan.SELF_TEST_REPORT_DAYS)
        if reported >= self.days.count:
            return
        row: list[object] = [
            self._take_id(TESTS),
            site.org_id,
            site.site_id,
            self.people.ids[client],
            contact_id,
            Disease.HIV.value,
            Test.Method.SELF_TEST.value,
            item_id,
            "",
            line_id,
            False,
            self._result(Disease.HIV),
            True,
            False,
            self.days.text[reported],
            site.worker_id,
            self.days.moment(reported, _SELF_TEST_REPORTED_SECOND),
            None,
        ]
        key = site.index * KEY_STRIDE + SELF_TEST_POSITION
        self.pending_tests.append(_PendingTest(row, key, day, offset))

    def _target(self, client: int) -> str:
        known = self.known_positive[client]
        if known & _KNOWN_POSITIVE[Disease.HIV] and self.rng.random() < plan.CARE_TARGET_SHARE:
            return Referral.Target.HIV_CARE
        if known & _KNOWN_POSITIVE[Disease.HCV] and self.rng.random() < plan.CARE_TARGET_SHARE:
            return Referral.Target.HCV_TREATMENT
        return self.referral_targets.draw(self.rng)

    def _referral(self, visit: "_Visit", target: str, test_id: int | None, disease: str) -> None:
        random = self.rng.random
        day = visit.day
        due = day + self.rng.choice(plan.DUE_IN_DAYS)
        status, completed, confirmation = Referral.Status.ISSUED.value, None, ""
        if random() < plan.COMPLETION_SHARE[target]:
            waited = int(self.rng.expovariate(1 / plan.COMPLETION_MEAN_DAYS))
            delay = 1 + min(LOST_AFTER_DAYS - 5, waited)
            if day + delay < self.days.count:
                status = Referral.Status.COMPLETED.value
                completed = self.days.text[day + delay]
                confirmation = self.confirmations.draw(self.rng)
        if status == Referral.Status.ISSUED and day < self.days.count - LOST_AFTER_DAYS:
            status = Referral.Status.LOST.value
        self.buffers[REFERRALS.name].append(
            (
                self._take_id(REFERRALS),
                visit.site.org_id,
                visit.site.site_id,
                self.people.ids[visit.client],
                test_id,
                target,
                disease,
                self.days.text[day],
                self._date_text(due),
                status,
                completed,
                confirmation,
                visit.site.worker_id,
                visit.recorded_at,
                None,
            )
        )
        _add_service(visit.services, "referral")

    def _recorded_at(self, day: int, second: int) -> str:
        """When the contact was typed in: mostly at once, some days or weeks later."""
        random = self.rng.random
        days = self.days
        if random() >= plan.BACKDATED_SHARE:
            return days.moment(day, second + 60 + int(random() * 1740))
        if random() < plan.MONTH_END_BATCH_SHARE:
            typed = days.month_end[day]
            if typed == day:
                typed = days.month_end[min(day + 1, days.count - 1)]
        else:
            delay = self.rng.expovariate(1 / plan.BACKDATE_MEAN_DAYS)
            typed = day + 1 + min(int(delay), plan.BACKDATE_MAX_DAYS - 1)
        typed = min(typed, days.count - 1)
        if typed <= day:
            return days.moment(day, second + 60 + int(random() * 1740))
        return days.moment(typed, _RECORDED_LATE_SECOND + int(random() * _WORKING_SECONDS))

    def _date_text(self, day: int) -> str:
        if day < self.days.count:
            return self.days.text[day]
        return (self.days.start + datetime.timedelta(days=day)).isoformat()

    def _take_id(self, table: Table) -> int:
        taken = self.next_id[table.name]
        self.next_id[table.name] = taken + 1
        return taken

    def _end_day(self, day: int) -> None:
        self.month_use.extend((day, key, units) for key, units in self.day_use.items())
        self.day_use = {}
        if self.days.is_month_end(day):
            self._close_month(day)
        elif len(self.buffers[CONTACT_ITEMS.name]) >= FLUSH_ROWS:
            self._flush(_CONTACT_TABLES)

    def _close_month(self, day: int) -> None:
        movements, portions = self.ledger.close_month(self.days.month_start[day], self.month_use)
        self.month_use = []
        tests = self.buffers[TESTS.name]
        for pending in self.pending_tests:
            pending.row[8] = _lot_of(portions[(pending.day, pending.key)], pending.offset)
            tests.append(tuple(pending.row))
        self.pending_tests = []
        self.buffers[MOVEMENTS.name] = movements
        self._flush(_OWN_TABLES)

    def _flush(self, tables: Sequence[Table]) -> None:
        for table in tables:
            self.writer.write(table, self.buffers[table.name])
            self.buffers[table.name] = []


@dataclass(frozen=True)
class _Visit:
    """A client's contact, as tests and referrals need it."""

    day: int
    site: SiteRef
    org: OrgRef
    client: int
    contact_id: int
    recorded_at: str
    services: list[str]


_CONTACT_TABLES = (CONTACTS, CONTACT_ITEMS, CONTACT_SERVICES)
_NUMBERED_HERE = (*_CONTACT_TABLES, TESTS, REFERRALS)
# The ledger numbers the movements.
_OWN_TABLES = (*_NUMBERED_HERE, MOVEMENTS)


def _add_service(services: list[str], code: str) -> None:
    if code not in services:
        services.append(code)


def _lot_of(portions: Portions, offset: int) -> str:
    for lot, units in portions:
        if offset < units:
            return lot
        offset -= units
    raise AssertionError("A test kit was dispensed beyond its day's use.")
