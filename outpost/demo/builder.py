"""Build two demonstration organisations through the real actions.

The organisations are modelled on the Sumy harm reduction room and on
Humanitarian Action's buses, couriers and office in St. Petersburg. Every
write goes through the same actions as the web interface, so stock, ledger
and audit trail agree exactly as they would in real use. All randomness
comes from one seeded ``random.Random``, so a seed always gives the same
clients and the same contacts.
"""

from __future__ import annotations

import datetime
import heapq
import math
import random
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from outpost.cases.actions import install_case_lists
from outpost.catalogue.actions import install_default_catalogue
from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.actions import register_client
from outpost.clients.models import Client, PopulationGroup
from outpost.clients.uic import UICParts, build_parts
from outpost.contacts.actions import Handout, record_contact
from outpost.core.choices import Channel, Sex
from outpost.core.roles import Role
from outpost.demo.activity import (
    MIN_SPAN_DAYS,
    Demo,
    add_outreach_activity,
    add_room_activity,
    add_room_programme,
)
from outpost.inventory.actions import create_store, receive_stock
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import (
    DEFAULT_LEAD_TIME_DAYS,
    DEFAULT_REVIEW_DAYS,
    DEFAULT_SAFETY_DAYS,
    Location,
    StockBalance,
)
from outpost.orgs.models import Membership, OpeningHours, Organisation, Site, User
from outpost.reports.actions import (
    add_network_members,
    create_network,
    save_population_estimate,
)
from outpost.reports.models import PopulationEstimate

# Public on purpose: the Makefile and README print it. It is set with
# set_password, which skips the validators that would refuse a known
# password.
DEMO_PASSWORD = "outpost-demo-2026"  # noqa: S105

# Share of contacts where the person gave no code.
ANONYMOUS_SHARE = 0.10
# Share of registered clients whose father's name is unknown (code part 99).
UNKNOWN_FATHER_SHARE = 0.05

INJECTING_KIT = "Injecting kit"
SAFER_SEX_KIT = "Safer sex kit"
NALOXONE_KIT = "Naloxone kit"

# Units per pack: deliveries come in whole packs, as from a real warehouse.
_PACK_BY_CATEGORY = {
    "syringe": 100,
    "needle": 100,
    "alcohol_wipe": 100,
    "water": 50,
    "condom": 100,
    "lubricant": 50,
    "naloxone": 10,
    "information": 10,
}
_DEFAULT_PACK = 10

_INJECTING = frozenset({PopulationGroup.INJECTS_OPIOIDS, PopulationGroup.INJECTS_STIMULANTS})

WEEKDAYS = (0, 1, 2, 3, 4)
WEEKDAYS_AND_SATURDAY = (0, 1, 2, 3, 4, 5)

# About forty common given names each, in the spelling clients give them.
# Mothers' and fathers' names, since the code takes letters from both.
UK_MOTHERS = (
    "Олена", "Тетяна", "Наталія", "Ірина", "Світлана", "Оксана", "Людмила", "Валентина",
    "Галина", "Ганна", "Марія", "Надія", "Любов", "Віра", "Ольга", "Лариса", "Катерина",
    "Юлія", "Інна", "Алла", "Лідія", "Ніна", "Раїса", "Тамара", "Зоя", "Жанна", "Вікторія",
    "Анастасія", "Антоніна", "Валерія", "Зінаїда", "Марина", "Євгенія", "Яна", "Дарія",
    "Софія", "Христина", "Ярослава", "Леся", "Уляна",
)  # fmt: skip
UK_FATHERS = (
    "Олександр", "Сергій", "Володимир", "Микола", "Іван", "Василь", "Петро", "Михайло",
    "Андрій", "Юрій", "Віктор", "Анатолій", "Олег", "Ігор", "Віталій", "Григорій", "Степан",
    "Богдан", "Дмитро", "Євген", "Валерій", "Леонід", "Борис", "Павло", "Роман", "Тарас",
    "Ярослав", "Федір", "Костянтин", "Геннадій", "Олексій", "Максим", "Вадим", "Руслан",
    "Станіслав", "Георгій", "Яків", "Семен", "Артем", "Денис",
)  # fmt: skip
RU_MOTHERS = (
    "Елена", "Татьяна", "Наталья", "Ирина", "Светлана", "Ольга", "Людмила", "Галина",
    "Валентина", "Надежда", "Марина", "Анна", "Мария", "Любовь", "Вера", "Лариса",
    "Екатерина", "Юлия", "Нина", "Тамара", "Зинаида", "Раиса", "Лидия", "Алла", "Инна",
    "Оксана", "Жанна", "Виктория", "Анастасия", "Евгения", "Нелли", "Зоя", "Антонина",
    "Клавдия", "Валерия", "Софья", "Дарья", "Ксения", "Полина", "Алёна",
)  # fmt: skip
RU_FATHERS = (
    "Александр", "Сергей", "Владимир", "Николай", "Иван", "Василий", "Пётр", "Михаил",
    "Андрей", "Юрий", "Виктор", "Анатолий", "Олег", "Игорь", "Виталий", "Григорий",
    "Степан", "Дмитрий", "Евгений", "Валерий", "Леонид", "Борис", "Павел", "Роман", "Фёдор",
    "Константин", "Геннадий", "Алексей", "Максим", "Вадим", "Руслан", "Станислав",
    "Георгий", "Яков", "Семён", "Артём", "Денис", "Вячеслав", "Аркадий", "Эдуард",
)  # fmt: skip


@dataclass(frozen=True)
class SiteSpec:
    name: str
    kind: str
    channel: str
    # How contacts there look: "room", "bus", "courier" or "office".
    profile: str
    days: tuple[int, ...]
    opens: datetime.time
    closes: datetime.time
    per_day: tuple[int, int]
    # Usernames that record contacts there, with relative weights.
    workers: tuple[tuple[str, int], ...]
    # Items left with a few days of stock at the end of the period, so the
    # forecast flags them (SPEC §5).
    short_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    site: str


@dataclass(frozen=True)
class OrgSpec:
    slug: str
    name: str
    timezone: str
    language: str
    sites: tuple[SiteSpec, ...]
    staff: tuple[StaffSpec, ...]
    # The staff member who signs for deliveries.
    storekeeper: str
    supplier: str
    client_count: int
    mothers: tuple[str, ...]
    fathers: tuple[str, ...]
    # Main group → relative weight.
    main_groups: Mapping[str, int]
    # Main group → usual site → relative weight.
    home_sites: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


SUMY = OrgSpec(
    slug="sumy-room",
    name="Sumy harm reduction room",
    timezone="Europe/Kyiv",
    language="uk",
    sites=(
        SiteSpec(
            name="Sumy room",
            kind=Site.Kind.ROOM,
            channel=Channel.WINDOW,
            profile="room",
            days=WEEKDAYS,
            opens=datetime.time(10),
            closes=datetime.time(18),
            per_day=(10, 40),
            workers=(("sumy-worker", 9), ("sumy-manager", 1)),
            short_items=("Lubricant sachet", "Syringe 1 ml"),
        ),
    ),
    staff=(
        StaffSpec("sumy-worker", Role.SOCIAL_WORKER, "Sumy room"),
        StaffSpec("sumy-manager", Role.MANAGER, "Sumy room"),
        StaffSpec("sumy-me", Role.ME_OFFICER, "Sumy room"),
        StaffSpec("sumy-admin", Role.ADMIN, "Sumy room"),
    ),
    storekeeper="sumy-manager",
    supplier="Regional HIV programme warehouse",
    client_count=300,
    mothers=UK_MOTHERS,
    fathers=UK_FATHERS,
    main_groups={
        PopulationGroup.INJECTS_OPIOIDS: 60,
        PopulationGroup.INJECTS_STIMULANTS: 22,
        PopulationGroup.NON_INJECTING: 18,
    },
)

SPB = OrgSpec(
    slug="spb-outreach",
    name="Humanitarian Action (St. Petersburg)",
    timezone="Europe/Moscow",
    language="ru",
    sites=(
        SiteSpec(
            name="Blue Bus",
            kind=Site.Kind.MOBILE_UNIT,
            channel=Channel.MOBILE_UNIT,
            profile="bus",
            per_day=(10, 30),
            workers=(("spb-outreach", 1),),
            short_items=("Naloxone 0.4 mg/ml ampoule",),
            days=WEEKDAYS,
            opens=datetime.time(15),
            closes=datetime.time(21),
        ),
        SiteSpec(
            name="Little Bus",
            kind=Site.Kind.MOBILE_UNIT,
            channel=Channel.MOBILE_UNIT,
            profile="bus",
            per_day=(10, 30),
            workers=(("spb-outreach", 1), ("spb-manager", 1)),
            short_items=("Alcohol wipe",),
            days=WEEKDAYS,
            opens=datetime.time(15),
            closes=datetime.time(21),
        ),
        SiteSpec(
            name="Courier hub",
            kind=Site.Kind.COURIER_HUB,
            channel=Channel.COURIER,
            profile="courier",
            days=WEEKDAYS_AND_SATURDAY,
            opens=datetime.time(11),
            closes=datetime.time(19),
            per_day=(5, 15),
            # The courier role has no permission to record contacts, so the
            # peer outreach coordinator logs the deliveries.
            workers=(("spb-outreach", 1),),
            short_items=("HIV saliva self-test",),
        ),
        SiteSpec(
            name="Office",
            kind=Site.Kind.ROOM,
            channel=Channel.ROOM,
            profile="office",
            days=WEEKDAYS,
            opens=datetime.time(10),
            closes=datetime.time(19),
            per_day=(10, 25),
            workers=(("spb-case", 1),),
        ),
    ),
    staff=(
        StaffSpec("spb-outreach", Role.OUTREACH_WORKER, "Blue Bus"),
        StaffSpec("spb-courier", Role.COURIER, "Courier hub"),
        StaffSpec("spb-case", Role.CASE_MANAGER, "Office"),
        StaffSpec("spb-manager", Role.MANAGER, "Office"),
        StaffSpec("spb-me", Role.ME_OFFICER, "Office"),
    ),
    storekeeper="spb-manager",
    supplier="Humanitarian Action warehouse",
    client_count=600,
    mothers=RU_MOTHERS,
    fathers=RU_FATHERS,
    main_groups={
        PopulationGroup.INJECTS_OPIOIDS: 50,
        PopulationGroup.INJECTS_STIMULANTS: 28,
        PopulationGroup.NON_INJECTING: 22,
    },
    home_sites={
        PopulationGroup.INJECTS_OPIOIDS: {
            "Blue Bus": 40,
            "Little Bus": 25,
            "Courier hub": 30,
            "Office": 5,
        },
        PopulationGroup.INJECTS_STIMULANTS: {
            "Blue Bus": 20,
            "Little Bus": 20,
            "Courier hub": 35,
            "Office": 25,
        },
        PopulationGroup.NON_INJECTING: {
            "Blue Bus": 10,
            "Little Bus": 10,
            "Courier hub": 30,
            "Office": 50,
        },
    },
)

ORGS = (SUMY, SPB)


@dataclass(frozen=True)
class ClientDraft:
    """A made-up client: the code's parts plus how they use the services."""

    parts: UICParts
    groups: tuple[str, ...]
    home_site: str
    # Relative chance of coming on a given day; heavy-tailed, so a few
    # regulars come almost daily and most people a few times.
    weight: float


@dataclass(frozen=True)
class PlannedContact:
    site: str
    worker: str
    channel: str
    occurred_at: datetime.datetime
    client: int | None
    kits: tuple[tuple[str, int], ...]
    items: tuple[tuple[str, int], ...]
    services: tuple[str, ...]
    syringes_returned: int


@dataclass(frozen=True)
class OrgResult:
    slug: str
    name: str
    created: bool
    clients: int = 0
    contacts: int = 0
    receipts: int = 0
    # Handout lines dropped because the store ran short.
    dropped_lines: int = 0


def _weighted(rng: random.Random, weights: Mapping[str, int | float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


def _name_weights(names: Sequence[str]) -> list[float]:
    # The first names in each list are the most common, as in real
    # registers, so codes cluster on a few letter pairs.
    return [1.0 / (rank + 3) for rank in range(len(names))]


def generate_clients(
    *, rng: random.Random, spec: OrgSpec, today: datetime.date
) -> list[ClientDraft]:
    """Make up ``spec.client_count`` clients with distinct, valid codes."""
    mother_weights = _name_weights(spec.mothers)
    father_weights = _name_weights(spec.fathers)
    drafts: list[ClientDraft] = []
    codes: set[str] = set()
    # A code repeats only if two draws share letters, sex and birthday; the
    # bound just guarantees the loop ends.
    for _attempt in range(spec.client_count * 3):
        if len(drafts) == spec.client_count:
            break
        mother = rng.choices(spec.mothers, weights=mother_weights)[0]
        father = (
            None
            if rng.random() < UNKNOWN_FATHER_SHARE
            else rng.choices(spec.fathers, weights=father_weights)[0]
        )
        sex = _weighted(rng, {Sex.MALE.value: 70, Sex.FEMALE.value: 28, Sex.OTHER.value: 2})
        age_days = int(rng.triangular(20, 60, 35) * 365.25)
        birth_date = today - datetime.timedelta(days=age_days)
        parts = build_parts(mother, father, sex, birth_date, today=today)
        groups = _groups(rng, spec=spec, sex=sex)
        home_site = (
            _weighted(rng, spec.home_sites[groups[0]]) if spec.home_sites else spec.sites[0].name
        )
        weight = min(rng.paretovariate(1.3), 40.0)
        if parts.code in codes:
            continue
        codes.add(parts.code)
        drafts.append(ClientDraft(parts, groups, home_site, weight))
    return drafts


def _groups(rng: random.Random, *, spec: OrgSpec, sex: str) -> tuple[str, ...]:
    main = _weighted(rng, spec.main_groups)
    groups = [main]
    sex_work = 0.2 if sex == Sex.FEMALE else 0.03
    chemsex = 0.15 if main != PopulationGroup.INJECTS_OPIOIDS and sex == Sex.MALE else 0.03
    if rng.random() < sex_work:
        groups.append(PopulationGroup.SEX_WORK)
    if rng.random() < chemsex:
        groups.append(PopulationGroup.CHEMSEX)
    return tuple(groups)


def plan_contacts(
    *,
    rng: random.Random,
    spec: OrgSpec,
    clients: Sequence[ClientDraft],
    days: int,
    today: datetime.date,
) -> list[PlannedContact]:
    """Plan every contact of the period, in time order."""
    zone = zoneinfo.ZoneInfo(spec.timezone)
    planned: list[PlannedContact] = []
    for offset in range(days - 1, -1, -1):
        date = today - datetime.timedelta(days=offset)
        for site in spec.sites:
            if date.weekday() in site.days:
                planned.extend(
                    _plan_site_day(rng, site=site, clients=clients, date=date, zone=zone)
                )
    planned.sort(key=lambda contact: contact.occurred_at)
    return planned


def _plan_site_day(
    rng: random.Random,
    *,
    site: SiteSpec,
    clients: Sequence[ClientDraft],
    date: datetime.date,
    zone: zoneinfo.ZoneInfo,
) -> list[PlannedContact]:
    count = rng.randint(*site.per_day)
    anonymous = sum(rng.random() < ANONYMOUS_SHARE for _ in range(count))
    # Weighted sampling without replacement (Efraimidis-Spirakis): nobody
    # comes twice to one site on one day.
    keys = [
        (rng.random() ** (1.0 / (c.weight * (1.0 if c.home_site == site.name else 0.03))), i)
        for i, c in enumerate(clients)
    ]
    chosen: list[int | None] = [i for _, i in heapq.nlargest(count - anonymous, keys)]
    chosen.extend([None] * (count - len(chosen)))
    rng.shuffle(chosen)
    opened = datetime.datetime.combine(date, site.opens, tzinfo=zone)
    seconds = int(
        (datetime.datetime.combine(date, site.closes, tzinfo=zone) - opened).total_seconds()
    )
    times = sorted(rng.randrange(0, seconds, 60) for _ in chosen)
    workers = dict(site.workers)
    return [
        _plan_handout(
            rng,
            site=site,
            worker=_weighted(rng, workers),
            occurred_at=opened + datetime.timedelta(seconds=moment),
            client=index,
            groups=clients[index].groups if index is not None else (),
        )
        for moment, index in zip(times, chosen, strict=True)
    ]


def _plan_handout(
    rng: random.Random,
    *,
    site: SiteSpec,
    worker: str,
    occurred_at: datetime.datetime,
    client: int | None,
    groups: Sequence[str],
) -> PlannedContact:
    if not groups:
        groups = (
            _weighted(rng, {PopulationGroup.INJECTS_OPIOIDS: 7, PopulationGroup.NON_INJECTING: 3}),
        )
    injects = any(group in _INJECTING for group in groups)
    opioids = PopulationGroup.INJECTS_OPIOIDS in groups
    sexual = PopulationGroup.SEX_WORK in groups or PopulationGroup.CHEMSEX in groups
    kits: Counter[str] = Counter()
    items: Counter[str] = Counter()
    services: set[str] = set()
    channel = site.channel
    returned = 0
    if site.profile == "office":
        channel = Channel.MESSENGER if rng.random() < 0.6 else Channel.PHONE
        services.add("counselling")
        if rng.random() < 0.25:
            services.add("referral")
        if rng.random() < 0.2:
            services.add("information")
    else:
        if rng.random() < (0.85 if injects else 0.1):
            # A courier delivery serves several days, so it carries more.
            kits_weights = {3: 15, 2: 35, 1: 50} if site.profile == "courier" else {2: 15, 1: 85}
            kits[INJECTING_KIT] += rng.choices(
                list(kits_weights), weights=list(kits_weights.values())
            )[0]
        if rng.random() < (0.55 if sexual else 0.2):
            kits[SAFER_SEX_KIT] += 1
        if opioids and rng.random() < (0.04 if site.profile == "room" else 0.1):
            kits[NALOXONE_KIT] += 1
        if injects and site.profile == "room" and rng.random() < 0.25:
            syringe = "Syringe 1 ml" if rng.random() < 0.7 else "Syringe 5 ml"
            items[syringe] += rng.choice((5, 10, 10, 20))
        if site.profile == "room" and rng.random() < 0.15:
            channel = Channel.ROOM
        if channel == Channel.ROOM and rng.random() < 0.5:
            services.add("safer_use_space")
        if site.profile != "courier" and rng.random() < (0.3 if channel == Channel.ROOM else 0.08):
            services.add("testing")
            items["HIV rapid test"] += 1
            if rng.random() < 0.5:
                items["HCV rapid test"] += 1
            if site.profile == "bus" and rng.random() < 0.4:
                items["HBV rapid test"] += 1
                items["Syphilis rapid test"] += 1
        if site.profile == "courier" and rng.random() < 0.1:
            items["HIV saliva self-test"] += 1
        if rng.random() < 0.05:
            services.add("information")
            items["Overdose first-aid leaflet"] += 1
        if site.profile != "courier" and rng.random() < (0.9 if channel == Channel.ROOM else 0.55):
            services.add("counselling")
        if site.profile == "bus" and rng.random() < 0.05:
            services.add("referral")
        if injects and site.profile != "courier" and rng.random() < 0.7:
            returned = rng.randint(0, 20)
            if returned and rng.random() < 0.5:
                services.add("disposal")
        if not kits and not items and not services:
            services.add("counselling")
    return PlannedContact(
        site=site.name,
        worker=worker,
        channel=channel,
        occurred_at=occurred_at,
        client=client,
        kits=tuple(sorted(kits.items())),
        items=tuple(sorted(items.items())),
        services=tuple(sorted(services)),
        syringes_returned=returned,
    )


class _Catalogue:
    """The organisation's kits, items and services, fetched once."""

    def __init__(self, org: Organisation) -> None:
        self.items = {
            item.name: item for item in Item.objects.filter(org=org).select_related("category")
        }
        # Prefetched components let record_contact expand kits without a query.
        self.kits = {
            kit.name: kit
            for kit in Kit.objects.filter(org=org).prefetch_related("components__item__category")
        }
        self.services = {s.code: s for s in ServiceType.objects.filter(org=org)}
        self.components: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for kit in self.kits.values():
            for component in kit.components.all():
                self.components[kit.name].append((component.item.name, component.quantity))

    def units(self, contact: PlannedContact) -> Counter[str]:
        """Return the units of each item a contact takes from the store."""
        units: Counter[str] = Counter()
        for kit, count in contact.kits:
            for item, quantity in self.components[kit]:
                units[item] += quantity * count
        for item, quantity in contact.items:
            units[item] += quantity
        return units


@dataclass(frozen=True)
class _Receipt:
    site: str
    item: str
    quantity: int
    occurred_on: datetime.date
    lot: str
    expires_on: datetime.date | None


def _pack(item: Item) -> int:
    return _PACK_BY_CATEGORY.get(item.category.code, _DEFAULT_PACK)


def _round_up(quantity: float, pack: int) -> int:
    return math.ceil(quantity / pack) * pack


def plan_receipts(
    *,
    rng: random.Random,
    spec: OrgSpec,
    catalogue: _Catalogue,
    contacts: Sequence[PlannedContact],
    start: datetime.date,
    restock_on: datetime.date,
    today: datetime.date,
) -> tuple[list[_Receipt], list[_Receipt]]:
    """Plan the opening delivery and the mid-period restock of each store.

    The amounts follow from the planned contacts, so no handout runs short
    and each store ends with a chosen balance: comfortably above the
    more stock than the forecast's minimum for most items, a few days of
    stock for the site's short items.
    """
    before: Counter[tuple[str, str]] = Counter()
    after: Counter[tuple[str, str]] = Counter()
    for contact in contacts:
        demand = before if contact.occurred_at.date() < restock_on else after
        for item_name, units in catalogue.units(contact).items():
            demand[contact.site, item_name] += units
    opening: list[_Receipt] = []
    restock: list[_Receipt] = []
    for site in spec.sites:
        for name, item in sorted(catalogue.items.items()):
            first, second = _amounts(
                rng,
                item=item,
                short=name in site.short_items,
                before=before[site.name, name],
                after=after[site.name, name],
                days=(today - start).days + 1,
            )
            expiry = item.category.needs_expiry
            for quantity, day, receipts in (
                (first, start, opening),
                (second, restock_on, restock),
            ):
                if quantity > 0:
                    receipts.append(
                        _Receipt(
                            site=site.name,
                            item=name,
                            quantity=quantity,
                            occurred_on=day,
                            lot=f"{day:%y%m%d}-{len(receipts) + 1:03d}" if expiry else "",
                            expires_on=(
                                day + datetime.timedelta(days=rng.randint(365, 730))
                                if expiry
                                else None
                            ),
                        )
                    )
    return opening, restock


def _amounts(
    rng: random.Random, *, item: Item, short: bool, before: int, after: int, days: int
) -> tuple[int, int]:
    """Return the opening and restock quantities of one item at one store.

    The opening delivery covers the demand before the restock, so the
    balance never goes below zero; the restock brings the end balance to a
    target in days of the period's average demand: two to five days for a
    short item, which the forecast flags, and more than the store's
    minimum (lead time plus safety margin) for the others.
    """
    pack = _pack(item)
    daily = (before + after) / days
    minimum_days = DEFAULT_LEAD_TIME_DAYS + DEFAULT_SAFETY_DAYS
    if short and daily > 0:
        # Exact, not whole packs: a pack may hold more than a few days.
        target = max(1, round(daily * rng.uniform(2, 5)))
        first = _round_up(before, pack)
    else:
        wanted = daily * rng.uniform(minimum_days + 10, minimum_days + DEFAULT_REVIEW_DAYS)
        target = _round_up(max(wanted, pack * rng.randint(1, 3)), pack)
        first = _round_up(before + target, pack)
    second = target + before + after - first
    if not short and second > 0:
        second = _round_up(second, pack)
    if second < 0:
        # Whole packs for the first half already exceed the whole period.
        first, second = before + after + target, 0
    return first, second


def seed_demo(
    *, seed: int, days: int, today: datetime.date, now: datetime.datetime
) -> list[OrgResult]:
    """Create each demo organisation that is not there yet.

    ``today`` ends the period; contacts planned after ``now`` are left out,
    so the today page shows the day so far.
    """
    rng = random.Random(seed)  # noqa: S311  # demo data, not secrets
    # One stream per organisation, drawn up front, so skipping an existing
    # organisation does not change what the other one gets.
    org_seeds = [rng.getrandbits(64) for _ in ORGS]
    results = []
    for spec, org_seed in zip(ORGS, org_seeds, strict=True):
        if Organisation.objects.filter(slug=spec.slug).exists():
            results.append(OrgResult(slug=spec.slug, name=spec.name, created=False))
            continue
        org_rng = random.Random(org_seed)  # noqa: S311  # demo data, not secrets
        results.append(build_org(rng=org_rng, spec=spec, days=days, today=today, now=now))
    add_network_and_estimates()
    return results


# Area, people who inject drugs, and the manager who enters it; made up.
POPULATION_ESTIMATES = {
    SUMY.slug: ("Sumy", 4200, "sumy-manager"),
    SPB.slug: ("St. Petersburg", 60000, "spb-manager"),
}
NETWORK_SLUG = "east"


@transaction.atomic
def add_network_and_estimates() -> None:
    """Put the demo organisations in the network "East" and give each an estimate.

    What is already there is left as it is, so running it again adds nothing.
    """
    orgs = list(Organisation.objects.filter(slug__in=POPULATION_ESTIMATES).order_by("slug"))
    if not orgs:
        return
    network, _created = create_network(name="East", slug=NETWORK_SLUG)
    add_network_members(network=network, orgs=orgs)
    for org in orgs:
        area, people, manager = POPULATION_ESTIMATES[org.slug]
        if PopulationEstimate.objects.filter(org=org, area=area).exists():
            continue
        estimate = PopulationEstimate(
            org=org, area=area, people=people, source="Made-up figure for the demonstration"
        )
        save_population_estimate(
            estimate=estimate,
            sites=list(Site.objects.filter(org=org)),
            worker=User.objects.get(username=manager),
        )


@transaction.atomic
def build_org(
    *,
    rng: random.Random,
    spec: OrgSpec,
    days: int,
    today: datetime.date,
    now: datetime.datetime,
) -> OrgResult:
    """Create one organisation with its staff, clients, stock and contacts."""
    org = Organisation.objects.create(name=spec.name, slug=spec.slug)
    install_default_catalogue(org=org)
    install_case_lists(org=org)
    sites = _create_sites(org=org, spec=spec)
    staff = _create_staff(org=org, spec=spec, sites=sites)
    drafts = generate_clients(rng=rng, spec=spec, today=today)
    # Whoever usually works at the client's site registers them.
    registrars = {site.name: staff[site.workers[0][0]] for site in spec.sites}
    clients = [
        register_client(
            org=org, parts=draft.parts, groups=draft.groups, worker=registrars[draft.home_site]
        )[0]
        for draft in drafts
    ]
    contacts = [
        contact
        for contact in plan_contacts(rng=rng, spec=spec, clients=drafts, days=days, today=today)
        if contact.occurred_at <= now
    ]
    catalogue = _Catalogue(org)
    start = today - datetime.timedelta(days=days)
    restock_on = today - datetime.timedelta(days=days // 2)
    while restock_on.weekday() not in WEEKDAYS:
        restock_on += datetime.timedelta(days=1)
    opening, restock = plan_receipts(
        rng=rng,
        spec=spec,
        catalogue=catalogue,
        contacts=contacts,
        start=start,
        restock_on=restock_on,
        today=today,
    )
    stores = {name: create_store(site=site) for name, site in sites.items()}
    demo = Demo(
        rng=rng,
        org=org,
        sites=sites,
        staff=staff,
        clients=clients,
        home_sites=[draft.home_site for draft in drafts],
        injects=[any(group in _INJECTING for group in draft.groups) for draft in drafts],
        items=catalogue.items,
        kits=catalogue.kits,
        today=today,
        now=now,
        span=max(days, MIN_SPAN_DAYS),
    )
    # The mode history comes first, so the contacts on those days follow it.
    restricted = add_room_programme(demo) if spec is SUMY else []
    keeper = staff[spec.storekeeper]
    _receive(opening, stores=stores, catalogue=catalogue, worker=keeper, supplier=spec.supplier)
    dropped = 0
    restocked = False
    for planned in contacts:
        if not restocked and planned.occurred_at.date() >= restock_on:
            _receive(
                restock, stores=stores, catalogue=catalogue, worker=keeper, supplier=spec.supplier
            )
            restocked = True
        dropped += _record(
            planned,
            site=sites[planned.site],
            store=stores[planned.site],
            worker=staff[planned.worker],
            client=clients[planned.client] if planned.client is not None else None,
            catalogue=catalogue,
        )
    if not restocked and restock_on <= today:
        _receive(
            restock, stores=stores, catalogue=catalogue, worker=keeper, supplier=spec.supplier
        )
    if spec is SUMY:
        add_room_activity(demo, restricted)
    elif spec is SPB:
        add_outreach_activity(demo)
    return OrgResult(
        slug=spec.slug,
        name=spec.name,
        created=True,
        clients=len(clients),
        contacts=len(contacts),
        receipts=len(opening) + len(restock),
        dropped_lines=dropped,
    )


def _create_sites(*, org: Organisation, spec: OrgSpec) -> dict[str, Site]:
    sites: dict[str, Site] = {}
    hours: list[OpeningHours] = []
    for site_spec in spec.sites:
        site = Site(
            org=org,
            name=site_spec.name,
            kind=site_spec.kind,
            timezone=spec.timezone,
            default_channel=site_spec.channel,
        )
        site.full_clean()
        site.save()
        sites[site.name] = site
        hours.extend(
            OpeningHours(site=site, weekday=day, opens=site_spec.opens, closes=site_spec.closes)
            for day in site_spec.days
        )
    OpeningHours.objects.bulk_create(hours)
    return sites


def _create_staff(
    *, org: Organisation, spec: OrgSpec, sites: Mapping[str, Site]
) -> dict[str, User]:
    # Argon2 is slow on purpose, so the public demo password is hashed once
    # for all accounts; a shared salt protects nothing that is printed
    # anyway. make_password, like set_password, skips the validators that
    # would refuse it. An account that already exists keeps its password:
    # it may be a real person's, and the demo must not take it over.
    password_hash = make_password(DEMO_PASSWORD)
    staff: dict[str, User] = {}
    for member in spec.staff:
        user, _created = User.objects.get_or_create(
            username=member.username,
            defaults={"language": spec.language, "password": password_hash},
        )
        Membership.objects.create(user=user, org=org, role=member.role, site=sites[member.site])
        staff[member.username] = user
    return staff


def _receive(
    receipts: Sequence[_Receipt],
    *,
    stores: Mapping[str, Location],
    catalogue: _Catalogue,
    worker: User,
    supplier: str,
) -> None:
    for receipt in receipts:
        receive_stock(
            location=stores[receipt.site],
            item=catalogue.items[receipt.item],
            quantity=receipt.quantity,
            worker=worker,
            lot=receipt.lot,
            expires_on=receipt.expires_on,
            supplier=supplier,
            occurred_on=receipt.occurred_on,
        )


def _record(
    planned: PlannedContact,
    *,
    site: Site,
    store: Location,
    worker: User,
    client: Client | None,
    catalogue: _Catalogue,
) -> int:
    """Record one planned contact; return how many handout lines were dropped."""
    kits = [(catalogue.kits[name], count) for name, count in planned.kits]
    items = [(catalogue.items[name], count) for name, count in planned.items]
    services = [catalogue.services[code] for code in planned.services]
    dropped = 0
    # The stock plan covers every handout, so this loop runs once; the
    # retry only keeps a hand-edited plan from aborting the whole build.
    while True:
        try:
            record_contact(
                site=site,
                worker=worker,
                channel=planned.channel,
                client=client,
                handout=Handout(kits=kits, items=items, services=services),
                syringes_returned=planned.syringes_returned,
                occurred_at=planned.occurred_at,
            )
        except OutOfStock:
            kept_kits, kept_items = _what_fits(
                kits, items, store=store, catalogue=catalogue, on=planned.occurred_at.date()
            )
            lost = len(kits) + len(items) - len(kept_kits) - len(kept_items)
            if lost == 0:
                raise
            dropped += lost
            kits, items = kept_kits, kept_items
            continue
        return dropped


def _what_fits(
    kits: Sequence[tuple[Kit, int]],
    items: Sequence[tuple[Item, int]],
    *,
    store: Location,
    catalogue: _Catalogue,
    on: datetime.date,
) -> tuple[list[tuple[Kit, int]], list[tuple[Item, int]]]:
    left: Counter[str] = Counter()
    balances = (
        StockBalance.objects.filter(location=store, quantity__gt=0)
        .exclude(expires_on__lt=on)
        .select_related("item")
    )
    for balance in balances:
        left[balance.item.name] += balance.quantity
    kept_kits = []
    for kit, count in kits:
        need = Counter({name: qty * count for name, qty in catalogue.components[kit.name]})
        if all(left[name] >= qty for name, qty in need.items()):
            left -= need
            kept_kits.append((kit, count))
    kept_items = []
    for item, count in items:
        if left[item.name] >= count:
            left[item.name] -= count
            kept_items.append((item, count))
    return kept_kits, kept_items
