"""The scales and distributions of a generated dataset, as data.

``docs/performance.md`` explains each figure. Counts are targets: the
generator draws around them, so a dataset lands within a few per cent.
Rates are per contact unless a name says otherwise.
"""

import calendar
import datetime
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

from outpost.clients.models import PopulationGroup
from outpost.core.choices import Channel, Sex
from outpost.orgs.models import Site
from outpost.testing.models import Disease, Referral

T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """How big a dataset is and how its people behave."""

    name: str
    organisations: int
    sites: int
    clients: int
    contacts: int
    days: int
    # Mean time a client keeps coming, in years (exponential).
    mean_stay_years: float
    # Share of people registered in two or more organisations, same code.
    shared_people: float


SCALES: dict[str, Scale] = {
    # A few hundred contacts, for tests: three organisations so that some
    # people are registered in several.
    "T": Scale("T", 3, 6, 120, 700, 180, 0.5, 0.30),
    # One room.
    "S": Scale("S", 1, 1, 3_000, 30_000, 365, 2.0, 0.0),
    # A regional NGO.
    "M": Scale("M", 1, 10, 25_000, 400_000, 2 * 365, 2.0, 0.0),
    # A national network over five years.
    "L": Scale("L", 40, 300, 500_000, 12_000_000, 5 * 365 + 1, 2.2, 0.10),
}

# Sizes of organisations, and of sites inside one, follow Zipf's law.
ORGANISATION_ZIPF = 0.9
SITE_ZIPF = 1.0

# Visits: each client has a yearly rate drawn from a lognormal (heavy
# tail), scaled so the total meets the scale's contacts; a few people come
# almost every day.
VISIT_RATE_MEDIAN = 10.0
VISIT_RATE_SIGMA = 0.8
VISIT_RATE_MAX = 300.0
DAILY_VISITOR_SHARE = 0.002
DAILY_VISITOR_RATE = (180.0, 290.0)
# Share of a client's visits at another site of the organisation.
OTHER_SITE_SHARE = 0.08
ANONYMOUS_SHARE = 0.05

# Days: weekends are quiet, and the last days of a month are busy (teams
# chase monthly targets and reports).
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.2)
MONTH_END_DAYS = 3
MONTH_END_FACTOR = 1.6

# Entries typed in later: the share of contacts recorded after their day,
# the mean delay in days (exponential, capped), and the share of those
# typed in one batch at the end of the month.
BACKDATED_SHARE = 0.15
BACKDATE_MEAN_DAYS = 7.0
BACKDATE_MAX_DAYS = 45
MONTH_END_BATCH_SHARE = 0.4
# Local working hours of each channel, and the site's time zone.
TIME_ZONE = "Europe/Kyiv"
HOURS: dict[str, tuple[int, int]] = {
    Channel.ROOM: (9, 19),
    Channel.WINDOW: (9, 19),
    Channel.OUTREACH: (10, 20),
    Channel.MOBILE_UNIT: (14, 21),
    Channel.COURIER: (10, 20),
    Channel.PHONE: (9, 19),
    Channel.MESSENGER: (9, 21),
    Channel.ONLINE: (9, 21),
}

# Kinds of sites after an organisation's first (always a room), and the
# channels each kind records contacts through.
SITE_KINDS: dict[str, float] = {
    Site.Kind.ROOM: 55,
    Site.Kind.MOBILE_UNIT: 22,
    Site.Kind.COURIER_HUB: 13,
    Site.Kind.ONLINE: 10,
}
DEFAULT_CHANNEL: dict[str, str] = {
    Site.Kind.ROOM: Channel.WINDOW,
    Site.Kind.MOBILE_UNIT: Channel.MOBILE_UNIT,
    Site.Kind.COURIER_HUB: Channel.COURIER,
    Site.Kind.ONLINE: Channel.ONLINE,
}
CHANNELS: dict[str, dict[str, float]] = {
    Site.Kind.ROOM: {Channel.WINDOW: 55, Channel.ROOM: 30, Channel.OUTREACH: 12, Channel.PHONE: 3},
    Site.Kind.MOBILE_UNIT: {Channel.MOBILE_UNIT: 88, Channel.OUTREACH: 12},
    Site.Kind.COURIER_HUB: {Channel.COURIER: 85, Channel.PHONE: 10, Channel.MESSENGER: 5},
    Site.Kind.ONLINE: {Channel.ONLINE: 45, Channel.MESSENGER: 40, Channel.COURIER: 15},
}
# Channels through which nothing is handed over.
REMOTE_CHANNELS = frozenset({Channel.PHONE, Channel.MESSENGER})
CITIES = (
    "Kyiv", "Kharkiv", "Odesa", "Dnipro", "Lviv", "Zaporizhzhia", "Kryvyi Rih", "Mykolaiv",
    "Vinnytsia", "Poltava", "Chernihiv", "Cherkasy", "Khmelnytskyi", "Zhytomyr", "Sumy",
    "Rivne", "Ivano-Frankivsk", "Ternopil", "Lutsk", "Uzhhorod", "Kropyvnytskyi", "Kherson",
    "Chernivtsi", "Kremenchuk", "Bila Tserkva", "Kamianske", "Brovary", "Kamianets",
    "Pavlohrad", "Oleksandriia", "Berdychiv", "Konotop", "Uman", "Shostka", "Izmail",
    "Nikopol", "Kovel", "Mukachevo", "Drohobych", "Smila",
)  # fmt: skip

# People.
SEXES: dict[str, float] = {Sex.MALE: 72, Sex.FEMALE: 27, Sex.OTHER: 1}
UNKNOWN_FATHER_SHARE = 0.05
AGE_MEDIAN = 36.0
AGE_SIGMA = 0.25
AGE_RANGE = (18, 70)
MAIN_GROUPS: dict[str, float] = {
    PopulationGroup.INJECTS_OPIOIDS: 55,
    PopulationGroup.INJECTS_STIMULANTS: 20,
    PopulationGroup.NON_INJECTING: 15,
    PopulationGroup.CHEMSEX: 5,
    PopulationGroup.SEX_WORK: 5,
}
SECOND_GROUP_SHARE = 0.2
INJECTING = frozenset({PopulationGroup.INJECTS_OPIOIDS, PopulationGroup.INJECTS_STIMULANTS})

# What a contact hands out: kits by count, then extras, each by its share
# of contacts. Names are the default catalogue's.
INJECTING_KIT = "Injecting kit"
SAFER_SEX_KIT = "Safer sex kit"
NALOXONE_KIT = "Naloxone kit"
KIT_COUNTS: dict[int, float] = {1: 30, 2: 25, 3: 15, 4: 8, 5: 8, 6: 4, 8: 4, 10: 5, 20: 1}
INJECTING_EXTRAS: tuple[tuple[float, str, str, tuple[int, int]], ...] = (
    # (share, "kit" or "item", name, quantity range)
    (0.20, "item", "Syringe 1 ml", (5, 20)),
    (0.08, "item", "Syringe 5 ml", (2, 10)),
    (0.15, "kit", SAFER_SEX_KIT, (1, 2)),
    (0.20, "item", "Condom", (5, 20)),
    (0.06, "kit", NALOXONE_KIT, (1, 2)),
    (0.15, "item", "Overdose first-aid leaflet", (1, 1)),
    (0.03, "item", "HIV saliva self-test", (1, 2)),
)
OTHER_EXTRAS: tuple[tuple[float, str, str, tuple[int, int]], ...] = (
    (0.30, "item", "Condom", (5, 30)),
    (0.15, "item", "Lubricant sachet", (2, 10)),
    (0.30, "item", "Overdose first-aid leaflet", (1, 2)),
    (0.08, "item", "HIV saliva self-test", (1, 2)),
    (0.03, "kit", NALOXONE_KIT, (1, 1)),
)
OTHER_MAIN_KIT_SHARE = 0.7
NO_HANDOUT_SHARE = 0.03
# How many distinct handouts each profile draws from.
HANDOUT_VARIETY = 1024
# Units per pack: receipts come in whole packs.
PACK_BY_CATEGORY: dict[str, int] = {
    "syringe": 100,
    "needle": 100,
    "alcohol_wipe": 100,
    "water": 50,
    "condom": 144,
    "lubricant": 50,
    "naloxone": 10,
    "information": 50,
}
DEFAULT_PACK = 20
# Each month's receipt brings stock on hand to this multiple of the month's use.
STOCK_COVER = 1.25
SHELF_LIFE_DAYS = 730
SUPPLIER = "National programme warehouse"

# Contact details of a visit.
RETURNS_SHARE = 0.55
PEERS_SHARE = 0.07
SERVICE_SHARES: dict[str, float] = {"counselling": 0.40, "information": 0.15}
SAFER_USE_SPACE_SHARE = 0.35
ANONYMOUS_COUNSELLING_SHARE = 0.15

# Tests: a client is offered tests at most every TEST_INTERVAL_DAYS, and
# takes them at a visit with TEST_SHARE; a new client more often.
TEST_INTERVAL_DAYS = 90
TEST_SHARE = 0.6
FIRST_VISIT_TEST_SHARE = 0.6
# Disease → (share of test visits that include it, of injecting clients
# and of others).
TESTED_FOR: dict[str, tuple[float, float]] = {
    Disease.HIV: (1.0, 1.0),
    Disease.HCV: (0.8, 0.4),
    Disease.SYPHILIS: (0.12, 0.3),
    Disease.HBV: (0.1, 0.1),
}
REACTIVE_SHARE: dict[str, float] = {
    Disease.HIV: 0.02,
    Disease.HCV: 0.12,
    Disease.SYPHILIS: 0.03,
    Disease.HBV: 0.03,
}
INVALID_SHARE = 0.005
RESULT_GIVEN_SHARE = 0.95
PRE_COUNSELLING_SHARE = 0.85
POST_COUNSELLING_SHARE = 0.8
SELF_TEST_REPORTED_SHARE = 0.3
SELF_TEST_REPORT_DAYS = (1, 14)

# Referrals: from every reactive result to confirmatory testing, and from
# other visits to services by target weight.
CONFIRMATORY_SHARE = 0.9
REFERRAL_SHARE = 0.075
REFERRAL_TARGETS: dict[str, float] = {
    Referral.Target.OST: 25,
    Referral.Target.DOCTOR: 25,
    Referral.Target.SOCIAL: 25,
    Referral.Target.TB: 10,
}
# Clients known to be positive are referred to care instead, this often.
CARE_TARGET_SHARE = 0.5
COMPLETION_SHARE: dict[str, float] = {
    Referral.Target.CONFIRMATORY: 0.65,
    Referral.Target.HIV_CARE: 0.6,
    Referral.Target.HCV_TREATMENT: 0.45,
    Referral.Target.OST: 0.4,
    Referral.Target.TB: 0.5,
    Referral.Target.DOCTOR: 0.55,
    Referral.Target.SOCIAL: 0.5,
}
DUE_IN_DAYS = (7, 14, 30, 60)
COMPLETION_MEAN_DAYS = 12.0
CONFIRMATIONS: dict[str, float] = {
    Referral.Confirmation.CLIENT: 50,
    Referral.Confirmation.DOCUMENT: 25,
    Referral.Confirmation.SERVICE: 15,
    Referral.Confirmation.ACCOMPANIED: 10,
}


class Weighted(Generic[T]):
    """Values drawn by relative weight with one random number."""

    def __init__(self, weights: dict[T, float] | Sequence[tuple[T, float]]) -> None:
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        self.values = [value for value, _ in pairs]
        self.bounds = list(accumulate(weight for _, weight in pairs))
        self.total = self.bounds[-1]

    def draw(self, rng: Random) -> T:
        return self.values[bisect_right(self.bounds, rng.random() * self.total)]


def zipf_weights(count: int, exponent: float) -> list[float]:
    """Shares of ``count`` ranked things under Zipf's law, largest first."""
    raw = [1 / rank**exponent for rank in range(1, count + 1)]
    total = sum(raw)
    return [weight / total for weight in raw]


def split_by_weight(total: int, weights: Sequence[float], *, least: int = 0) -> list[int]:
    """Whole numbers in proportion to ``weights`` that add up to ``total``."""
    spare = total - least * len(weights)
    exact = [spare * weight / sum(weights) for weight in weights]
    counts = [int(share) for share in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for index in by_remainder[: spare - sum(counts)]:
        counts[index] += 1
    return [count + least for count in counts]


def day_weight(day: datetime.date) -> float:
    """How busy a day is: quiet weekends, busy last days of the month."""
    weight = WEEKDAY_WEIGHTS[day.weekday()]
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day > last - MONTH_END_DAYS:
        weight *= MONTH_END_FACTOR
    return weight
