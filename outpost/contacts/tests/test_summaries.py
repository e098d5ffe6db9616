"""Issue 8: the day summaries reports read always equal the raw contacts.

Every write adds to ``ContactDay`` and ``ServiceDay`` in its own transaction;
``rebuild_summaries`` recomputes them from the contacts. Random writes,
backdated ones included, must leave tables that a rebuild does not change
and whose sums are the raw sums.
"""

import datetime
import threading
import unittest
import uuid
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import time_machine
from django.db import connection, connections, models, transaction
from django.db.models import Sum
from django.test import TransactionTestCase
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact, ContactDay, ContactItem, ContactService, ServiceDay
from outpost.contacts.summaries import rebuild_summaries
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.core.tests.base import (
    TODAY,
    BaseTestCase,
    make_client,
    make_org,
    make_site,
    make_staff,
    stock,
)
from outpost.inventory.errors import OutOfStock
from outpost.orgs.models import Site, User
from outpost.testing.actions import record_rapid_test
from outpost.testing.models import Result

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))
# Forty days back from 2 March cross the ends of January and February.
DAYS_BACK = 40
CHANNELS = [Channel.WINDOW, Channel.ROOM, Channel.OUTREACH]
KIT_NAMES = ["Injecting kit", "Safer sex kit", "Naloxone kit"]
ITEM_NAMES = ["Syringe 1 ml", "Condom", "Naloxone 0.4 mg/ml ampoule", "HIV saliva self-test"]
SERVICE_CODES = ["counselling", "testing", "disposal"]
# The bus holds few naloxone ampoules, so some hand-outs there are refused.
BUS_NALOXONE = 3

Key = tuple[object, ...]
Row = dict[str, object]
CONTACT_DAY_KEY = ("site_id", "channel", "client_id", "date")
SERVICE_DAY_KEY = (*CONTACT_DAY_KEY, "service_type_id")
UNIT_COLUMNS = [f.attname for f in ContactDay._meta.fields if f.attname.startswith("units_")]


@dataclass(frozen=True)
class ContactStep:
    """Record a contact; ``client`` None is anonymous, 0 days and hours back is live."""

    site: int
    channel: str
    client: int | None
    days_back: int
    hours_back: int
    kits: Sequence[tuple[int, int]]
    items: Sequence[tuple[int, int]]
    services: frozenset[int]
    syringes_returned: int
    key: int | None
    # A form sent again after the first answer was lost: same key, same content.
    sent_twice: bool


@dataclass(frozen=True)
class RapidTestStep:
    """Record a rapid test, which joins the client's visit of today if there is one."""

    site: int
    client: int
    counselled: bool
    key: int | None


contact_steps = st.builds(
    ContactStep,
    site=st.integers(0, 1),
    channel=st.sampled_from(CHANNELS),
    client=st.none() | st.integers(0, 2),
    days_back=st.just(0) | st.integers(0, DAYS_BACK),
    hours_back=st.just(0) | st.integers(0, 23),
    kits=st.lists(st.tuples(st.integers(0, len(KIT_NAMES) - 1), st.integers(1, 2)), max_size=2),
    items=st.lists(st.tuples(st.integers(0, len(ITEM_NAMES) - 1), st.integers(1, 5)), max_size=2),
    services=st.frozensets(st.integers(0, len(SERVICE_CODES) - 1), max_size=2),
    syringes_returned=st.just(0) | st.integers(0, 30),
    key=st.none() | st.integers(0, 2),
    sent_twice=st.booleans(),
)
rapid_test_steps = st.builds(
    RapidTestStep,
    site=st.integers(0, 1),
    client=st.integers(0, 2),
    counselled=st.booleans(),
    key=st.none() | st.integers(0, 1),
)


def summary_rows(model: type[models.Model], key: Sequence[str]) -> dict[Key, Row]:
    """Every row of a summary table, all columns but the id, by its key."""
    rows = model._default_manager.values()
    return {
        tuple(row[c] for c in key): {c: v for c, v in row.items() if c != "id"} for row in rows
    }


def snapshot() -> tuple[dict[Key, Row], dict[Key, Row]]:
    return summary_rows(ContactDay, CONTACT_DAY_KEY), summary_rows(ServiceDay, SERVICE_DAY_KEY)


def raw_contact_days() -> dict[Key, Row]:
    """ContactDay as summed here from the contacts and their item lines."""
    sums: dict[Key, Counter[str]] = defaultdict(Counter)
    found: dict[Key, Contact] = {}
    for contact in Contact.objects.all():
        key = _day_of(contact)
        found[key] = contact
        sums[key]["contacts"] += 1
        sums[key]["syringes_returned"] += contact.syringes_returned
    for line in ContactItem.objects.select_related("contact", "item__category"):
        column = f"units_{line.item.category.code}"
        if column in UNIT_COLUMNS:
            sums[_day_of(line.contact)][column] += line.quantity
    zeros = dict.fromkeys(["contacts", "syringes_returned", *UNIT_COLUMNS], 0)
    return {key: {**_identity(contact), **zeros, **sums[key]} for key, contact in found.items()}


def raw_service_days() -> dict[Key, Row]:
    """ServiceDay as counted here from the services given at contacts."""
    counts: Counter[Key] = Counter()
    found: dict[Key, Contact] = {}
    for service in ContactService.objects.select_related("contact"):
        key = (*_day_of(service.contact), service.service_type_id)
        counts[key] += 1
        found[key] = service.contact
    return {
        key: {**_identity(contact), "service_type_id": key[-1], "contacts": counts[key]}
        for key, contact in found.items()
    }


def _day_of(contact: Contact) -> Key:
    return (contact.site_id, contact.channel, contact.client_id, contact.date)


def _identity(contact: Contact) -> Row:
    """The columns of a summary row that its contacts name, the month worked out here."""
    return {
        "org_id": contact.org_id,
        **dict(zip(CONTACT_DAY_KEY, _day_of(contact), strict=True)),
        "month": contact.date.replace(day=1),
    }


class Writes:
    """The contacts the steps should have made: a retried key makes none."""

    def __init__(self) -> None:
        self.contacts: Counter[Key] = Counter()
        self.keys: set[uuid.UUID] = set()

    def contact(self, key: uuid.UUID | None, day: Key) -> None:
        if key is not None:
            if key in self.keys:
                return
            self.keys.add(key)
        self.contacts[day] += 1


@time_machine.travel(NOON, tick=False)
class RandomWritesTests(HypothesisTestCase):
    sites: list[Site]
    worker: User
    clients: list[Client]
    kits: list[Kit]
    items: list[Item]
    services: list[ServiceType]
    hiv_kit: Item

    @classmethod
    def setUpTestData(cls) -> None:
        org = make_org("summaries")
        cls.sites = [
            make_site(org, "Room"),
            make_site(
                org,
                "Bus",
                kind=Site.Kind.MOBILE_UNIT,
                default_channel=Channel.MOBILE_UNIT,
                timezone="Asia/Tbilisi",
            ),
        ]
        cls.worker = make_staff(org, "writer", Role.MANAGER)
        cls.clients = [
            make_client(org, cls.worker, mother=name) for name in ("Olena", "Iryna", "Maria")
        ]
        cls.kits = [Kit.objects.get(org=org, name=name) for name in KIT_NAMES]
        cls.items = [Item.objects.get(org=org, name=name) for name in ITEM_NAMES]
        cls.services = [ServiceType.objects.get(org=org, code=code) for code in SERVICE_CODES]
        cls.hiv_kit = Item.objects.get(org=org, name="HIV rapid test")
        for site in cls.sites:
            for item in Item.objects.filter(org=org):
                short = site.name == "Bus" and item.category.code == "naloxone"
                stock(site, item, BUS_NALOXONE if short else 1000, cls.worker)

    @settings(max_examples=25, deadline=None)
    @given(st.lists(contact_steps | rapid_test_steps, min_size=4, max_size=12))
    def test_rebuilt_summaries_equal_those_kept_after_random_writes(
        self, steps: list[ContactStep | RapidTestStep]
    ) -> None:
        """Kept rows equal the raw sums and a rebuild, whatever order the writes came in."""
        expected = Writes()
        for step in steps:
            try:
                with transaction.atomic():
                    if isinstance(step, ContactStep):
                        self.record_contact(step, expected)
                    else:
                        self.record_test(step, expected)
            except DomainError:
                pass  # refused whole: nothing of it may be summed

        kept = snapshot()
        self.assertEqual(kept[0], raw_contact_days())
        self.assertEqual(kept[1], raw_service_days())
        counted = {key: row["contacts"] for key, row in kept[0].items()}
        self.assertEqual(counted, dict(expected.contacts))
        rebuild_summaries()
        self.assertEqual(snapshot(), kept)

    def record_contact(self, step: ContactStep, expected: Writes) -> None:
        site = self.sites[step.site]
        client = None if step.client is None else self.clients[step.client]
        back = datetime.timedelta(days=step.days_back, hours=step.hours_back)
        occurred_at = NOON - back if back else None
        key = None if step.key is None else uuid.UUID(int=step.key + 1)
        if step.sent_twice:
            key = key or uuid.uuid4()
        for _ in range(2 if step.sent_twice else 1):
            with transaction.atomic():
                record_contact(
                    site=site,
                    worker=self.worker,
                    channel=step.channel,
                    client=client,
                    handout=Handout(
                        kits=[(self.kits[kit], count) for kit, count in step.kits],
                        items=[(self.items[item], count) for item, count in step.items],
                        services=[self.services[s] for s in sorted(step.services)],
                    ),
                    syringes_returned=step.syringes_returned,
                    occurred_at=occurred_at,
                    idempotency_key=key,
                )
            date = site.local_date(occurred_at or NOON)
            expected.contact(key, (site.pk, step.channel, client and client.pk, date))

    def record_test(self, step: RapidTestStep, expected: Writes) -> None:
        site = self.sites[step.site]
        client = self.clients[step.client]
        key = None if step.key is None else uuid.UUID(int=step.key + 100)
        record_rapid_test(
            site=site,
            worker=self.worker,
            client=client,
            kit=self.hiv_kit,
            result=Result.NON_REACTIVE,
            result_given=True,
            pre_counselling=step.counselled,
            post_counselling=False,
            idempotency_key=key,
        )
        today = site.local_date(NOON)
        joins = any(
            day_key[0] == site.pk and day_key[2] == client.pk and day_key[3] == today
            for day_key in expected.contacts
        )
        if not joins:
            expected.contact(key, (site.pk, site.default_channel, client.pk, today))
        elif key is not None:
            expected.keys.add(key)


class SummaryRowsTests(BaseTestCase):
    def record(self, client: Client | None, handout: Handout, **fields: object) -> Contact:
        return record_contact(
            site=self.site,
            worker=self.worker,
            channel=Channel.WINDOW,
            client=client,
            handout=handout,
            **fields,  # type: ignore[arg-type]  # test helper
        )

    def test_anonymous_contacts_of_a_day_site_and_channel_share_one_row_without_a_client(
        self,
    ) -> None:
        first = self.record(
            None,
            Handout(items=[(self.condom, 3)], services=[self.counselling]),
            syringes_returned=2,
        )
        self.record(None, Handout(items=[(self.syringe, 4)], services=[self.counselling]))
        self.record(self.anna, Handout(items=[(self.condom, 1)]))

        anonymous = ContactDay.objects.get(client__isnull=True)
        self.assertEqual(
            (anonymous.date, anonymous.channel, anonymous.site_id, anonymous.contacts),
            (first.date, Channel.WINDOW, self.site.pk, 2),
        )
        self.assertEqual(
            (anonymous.units_condom, anonymous.units_syringe, anonymous.syringes_returned),
            (3, 4, 2),
        )
        self.assertEqual(ContactDay.objects.get(client=self.anna).contacts, 1)
        self.assertEqual(ServiceDay.objects.get(client__isnull=True).contacts, 2)

    def test_a_refused_contact_changes_no_summary(self) -> None:
        """All or nothing: the summary added before the stock ran short is undone."""
        self.record(self.anna, Handout(items=[(self.syringe, 10)], services=[self.counselling]))
        before = snapshot()
        with self.assertRaises(OutOfStock):
            self.record(
                self.anna, Handout(items=[(self.syringe, 500)], services=[self.counselling])
            )
        self.assertEqual(snapshot(), before)

    def test_a_refused_anonymous_contact_makes_no_row(self) -> None:
        with self.assertRaises(OutOfStock):
            self.record(None, Handout(kits=[(self.injecting_kit, 30)]))
        self.assertFalse(ContactDay.objects.exists())

    def test_rebuilding_one_organisation_leaves_the_others_rows_untouched(self) -> None:
        self.record(self.anna, Handout(items=[(self.condom, 2)]))
        record_contact(
            site=self.other_site,
            worker=self.outsider,
            channel=Channel.WINDOW,
            client=None,
            handout=Handout(),
        )
        ContactDay.objects.update(contacts=7)
        theirs = list(ContactDay.objects.filter(org=self.other_org).values())

        rebuild_summaries(org_id=self.org.pk)

        self.assertEqual(ContactDay.objects.get(org=self.org).contacts, 1)
        self.assertEqual(list(ContactDay.objects.filter(org=self.other_org).values()), theirs)

    def test_the_month_is_the_first_day_of_the_local_date_across_a_month_end(self) -> None:
        kyiv = zoneinfo.ZoneInfo("Europe/Kyiv")
        for moment in (
            datetime.datetime(2026, 1, 31, 23, 30, tzinfo=kyiv),
            datetime.datetime(2026, 2, 1, 0, 30, tzinfo=kyiv),
        ):
            self.record(self.anna, Handout(), occurred_at=moment)
        months = dict(ContactDay.objects.values_list("date", "month"))
        self.assertEqual(
            months,
            {
                datetime.date(2026, 1, 31): datetime.date(2026, 1, 1),
                datetime.date(2026, 2, 1): datetime.date(2026, 2, 1),
            },
        )


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite serialises writers itself; these races are about PostgreSQL's upsert and locks",
)
class ConcurrentSummaryTests(TransactionTestCase):
    WRITERS = 8
    STARTING_CONTACTS = 10
    ROUNDS = 8

    def setUp(self) -> None:
        org = make_org("race")
        self.site = make_site(org)
        self.worker = make_staff(org, "racer", Role.SOCIAL_WORKER, self.site)
        self.anna = make_client(org, self.worker)
        self.syringe = Item.objects.get(org=org, name="Syringe 2 ml")
        self.counselling = ServiceType.objects.get(org=org, code="counselling")
        stock(self.site, self.syringe, 1000, self.worker)

    def record(self, client: Client | None) -> None:
        record_contact(
            site=self.site,
            worker=self.worker,
            channel=Channel.WINDOW,
            client=client,
            handout=Handout(items=[(self.syringe, 3)], services=[self.counselling]),
            syringes_returned=2,
        )

    def record_at_once(self, client: Client | None) -> list[str]:
        race = Race()
        start = threading.Barrier(self.WRITERS)

        def write() -> None:
            start.wait()
            self.record(client)

        run_all([race.thread(write) for _ in range(self.WRITERS)])
        return race.failures

    def assert_one_row_of_eight(self, client: Client | None) -> None:
        day = ContactDay.objects.get(client=client)
        self.assertEqual(
            (day.contacts, day.units_syringe, day.syringes_returned),
            (self.WRITERS, 3 * self.WRITERS, 2 * self.WRITERS),
        )
        self.assertEqual(ServiceDay.objects.get(client=client).contacts, self.WRITERS)

    def test_eight_contacts_of_one_client_at_once_all_count_in_one_row(self) -> None:
        self.assertEqual(self.record_at_once(self.anna), [])
        self.assert_one_row_of_eight(self.anna)

    def test_eight_anonymous_contacts_at_once_all_count_in_one_row(self) -> None:
        self.assertEqual(self.record_at_once(None), [])
        self.assert_one_row_of_eight(None)

    def test_a_rebuild_among_writers_loses_and_doubles_nothing(self) -> None:
        """Readers see the old rows or the new, never a table half rebuilt."""
        for _ in range(self.STARTING_CONTACTS):
            self.record(self.anna)
        race = Race()
        totals: list[int] = []
        rebuilds: list[int] = []

        def write() -> None:
            for number in range(self.ROUNDS):
                self.record(self.anna if number % 2 else None)

        def rebuild() -> None:
            while not race.done.is_set():
                rebuild_summaries()
                rebuilds.append(1)

        def read() -> None:
            while not race.done.is_set():
                totals.append(contacts_summed())

        writers = [race.thread(write) for _ in range(4)]
        watchers = [race.thread(rebuild), race.thread(read)]
        run_all([*watchers, *writers], until=writers, then=race.done)

        self.assertEqual(race.failures, [])
        self.assertGreater(len(rebuilds), 1)
        kept = snapshot()
        rebuild_summaries()
        self.assertEqual(snapshot(), kept)
        self.assertEqual(contacts_summed(), self.STARTING_CONTACTS + len(writers) * self.ROUNDS)
        self.assertEqual(totals, sorted(totals))
        self.assertGreaterEqual(totals[0], self.STARTING_CONTACTS)


class Race:
    """Threads that each close their connection and note what they raised."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.done = threading.Event()

    def thread(self, work: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except Exception as error:  # noqa: BLE001 — the test reports it
                self.failures.append(repr(error))
            finally:
                connections.close_all()

        return threading.Thread(target=run)


def contacts_summed() -> int:
    return int(ContactDay.objects.aggregate(total=Sum("contacts"))["total"] or 0)


def run_all(
    threads: Sequence[threading.Thread],
    *,
    until: Sequence[threading.Thread] = (),
    then: threading.Event | None = None,
) -> None:
    """Start every thread; once ``until`` have ended, set ``then`` and wait for the rest."""
    for thread in threads:
        thread.start()
    for thread in until:
        thread.join()
    if then is not None:
        then.set()
    for thread in threads:
        thread.join()
