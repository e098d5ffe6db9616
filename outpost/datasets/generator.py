"""Generate a whole dataset into an empty database, deterministically for a seed.

All randomness comes from one ``random.Random(seed)`` drawn in a fixed
order, so one seed and one end date always give the same rows. The phases:
organisations, sites and staff through the ORM; clients and their visit
days in memory; clients, contacts and everything hanging from them through
the bulk writer; then stock balances from the ledger, the day summaries
through the same rebuild reports rely on, and fresh planner statistics.
"""

import datetime
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from random import Random

from django.conf import settings
from django.db import connection, models

from outpost.contacts.models import ContactDay, ServiceDay
from outpost.contacts.summaries import rebuild_summaries
from outpost.datasets import handouts
from outpost.datasets.activity import Activity
from outpost.datasets.days import Days
from outpost.datasets.handouts import Handout
from outpost.datasets.people import People, client_rows, draw_people
from outpost.datasets.plan import Scale
from outpost.datasets.progress import Progress, duration
from outpost.datasets.setup import World, build_world
from outpost.datasets.writer import CLIENT_GROUPS, CLIENTS, TABLES, Writer
from outpost.inventory.models import StockBalance
from outpost.orgs.models import Organisation

CLIENT_CHUNK = 50_000


class NotEmpty(Exception):
    """The database already holds organisations."""


@dataclass
class Summary:
    rows: dict[str, int] = field(default_factory=dict)
    # Seconds spent writing each table, and each phase end to end.
    write_seconds: dict[str, float] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    median_visits_a_year: float = 0.0
    most_visits: int = 0


def generate(
    *,
    scale: Scale,
    seed: int,
    end: datetime.date,
    writer: Writer,
    say: Callable[[str], None],
    defer_indexes: bool = True,
) -> Summary:
    """Fill an empty database with the dataset of ``scale`` and ``seed``."""
    if Organisation.objects.exists():
        raise NotEmpty
    progress = Progress(say)
    summary = Summary()
    # Reproducible made-up data, not secrets.
    rng = Random(seed)  # noqa: S311
    days = Days(end=end, count=scale.days)
    with _phase(summary, "organisations, sites and staff", progress):
        world = build_world(scale, rng)
        injecting, others = handouts.draw_recipes(rng)
        resolved = [
            (handouts.resolve(injecting, org), handouts.resolve(others, org)) for org in world.orgs
        ]
    with _phase(summary, "people and visit days", progress):
        people = draw_people(
            scale,
            world,
            days,
            rng,
            secret=settings.NETWORK_SECRET.encode(),
            first_id=writer.first_id(CLIENTS),
        )
        summary.median_visits_a_year = people.median_visits_a_year
        summary.most_visits = people.most_visits
    with writer.tuned():
        loaded = _Deferral([table.model for table in TABLES], "indexes of the loaded tables")
        with _deferred(writer, loaded, defer_indexes, summary, progress):
            _load(writer, world, people, days, rng, resolved, summary, progress)
        writer.reset_sequences(TABLES)
        with _phase(summary, "stock balances", progress):
            _sum_balances()
        # The summaries' unique indexes stay: the rebuild's upsert needs them.
        summaries = _Deferral([ContactDay, ServiceDay], "indexes of the summaries", True)
        with _deferred(writer, summaries, defer_indexes, summary, progress):
            with _phase(summary, "contact and service day summaries", progress):
                rebuild_summaries()
    with _phase(summary, "planner statistics", progress):
        writer.analyze()
    summary.rows = dict(writer.rows)
    for model in (StockBalance, ContactDay, ServiceDay):
        summary.rows[model._meta.db_table] = model.objects.count()
    summary.write_seconds = dict(writer.seconds)
    summary.phases["total"] = progress.elapsed()
    return summary


def _load(
    writer: Writer,
    world: World,
    people: People,
    days: Days,
    rng: Random,
    resolved: list[tuple[list[Handout], list[Handout]]],
    summary: Summary,
    progress: Progress,
) -> None:
    with _phase(summary, "clients", progress):
        for clients, groups in client_rows(people, world, days, chunk=CLIENT_CHUNK):
            writer.write(CLIENTS, clients)
            writer.write(CLIENT_GROUPS, groups)
            progress.step("clients", writer.rows[CLIENTS.name], people.count)
    with _phase(summary, "contacts, items, services, tests, referrals, stock", progress):
        Activity(
            world=world,
            people=people,
            days=days,
            rng=rng,
            handouts=resolved,
            writer=writer,
            progress=progress,
        ).run()


@dataclass(frozen=True)
class _Deferral:
    models: Sequence[type[models.Model]]
    name: str
    keep_unique: bool = False


@contextmanager
def _deferred(
    writer: Writer, deferral: _Deferral, defer: bool, summary: Summary, progress: Progress
) -> Iterator[None]:
    """Load with the tables' indexes dropped, if ``defer``, and time their rebuild."""
    if not defer:
        yield
        return
    before = writer.rebuild_seconds
    with writer.indexes_deferred(
        deferral.models, progress=progress, keep_unique=deferral.keep_unique
    ):
        yield
    summary.phases[deferral.name] = writer.rebuild_seconds - before


def _sum_balances() -> None:
    """Each location's balance per item and lot: the sum of its movements."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockbalance (location_id, item_id, lot, expires_on, quantity) "
            "SELECT location_id, item_id, lot, MAX(expires_on), SUM(quantity) "
            "FROM inventory_stockmovement GROUP BY location_id, item_id, lot "
            "ORDER BY location_id, item_id, lot"
        )


@contextmanager
def _phase(summary: Summary, name: str, progress: Progress) -> Iterator[None]:
    """Time a phase into the summary and say when it ends."""
    started = time.monotonic()
    progress.say(f"{name}…")
    yield
    summary.phases[name] = time.monotonic() - started
    progress.say(f"{name} done in {duration(summary.phases[name])}")
