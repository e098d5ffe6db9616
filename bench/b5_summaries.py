"""B5: keeping the day summaries current, and rebuilding them while readers read.

- *A day*: the busiest day of the last four weeks, entered again as the
  day after the data ends, through the import path's steps (bulk inserts
  of contacts, lines and services in chunks, ``add_to_summaries`` per
  chunk, then the clients' first and last dates).
- *A month-end batch*: contacts of the last 45 days entered again on
  their own dates, as many as plan.py says are typed in at a month's end
  (backdated share × month-end share of a month's contacts): every one
  lands in a summary row that already exists.
- *A rebuild*: ``rebuild_summaries`` after both, while a reader thread
  on its own connection sums the last month again and again. The reader
  must never wait for the rebuild and must always see the committed
  figures; the rebuilt tables must equal what was kept incrementally.
  At scale L only the largest organisation is rebuilt unless ``--long``.

Nothing is kept: everything runs in one transaction rolled back at the
end, each timed repetition in a savepoint of its own. The reader sees the
database as committed, which is the state before the benchmark.
"""

import datetime
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from random import Random

from django.db import connection, transaction
from django.db.models import Count

from bench.context import Context
from bench.harness import OUTPOST, Case, Measured, measure, percentile, stopwatch
from bench.scratch import in_memory
from outpost.contacts.models import Contact, ContactDay, ContactItem, ContactService, ServiceDay
from outpost.contacts.summaries import add_to_summaries, rebuild_summaries
from outpost.datasets import plan
from outpost.imports.writing import CHUNK, _note_contact_dates

DAY_TARGET, BATCH_TARGET = 10.0, 60.0
SUMMARY_COLUMNS: dict[type[ContactDay] | type[ServiceDay], list[str]] = {
    ContactDay: [f.column for f in ContactDay._meta.concrete_fields if f.column != "id"],
    ServiceDay: [f.column for f in ServiceDay._meta.concrete_fields if f.column != "id"],
}


@dataclass
class Copied:
    """Contacts read once, to be written again on other days."""

    contacts: list[dict[str, object]]
    items: dict[int, list[dict[str, object]]]
    services: dict[int, list[int]]
    summary_seconds: list[float] = field(default_factory=list)


def run(ctx: Context) -> list[Case]:
    with transaction.atomic():
        cases = _run(ctx)
        transaction.set_rollback(True)
    return cases


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _run(ctx: Context) -> list[Case]:
    day, batch = _day(ctx), _batch(ctx)
    new_day = ctx.end + datetime.timedelta(days=1)
    day_case = Case("B5", f"a normal day: {len(day.contacts):,} contacts, dated {new_day}")
    measure(
        day_case,
        "outpost import path",
        lambda: write(day, new_day),
        repeat=ctx.repeat,
        role=OUTPOST,
        around=rolled_back,
    )
    _note_summary_share(day_case, day)
    median = day_case.get("outpost import path").median
    day_case.target(f"≤ {DAY_TARGET:g} s (at L)", median <= DAY_TARGET, f"{median:.2f} s")
    batch_case = Case(
        "B5", f"a month-end batch: {len(batch.contacts):,} contacts backdated up to 45 days"
    )
    measure(
        batch_case,
        "outpost import path",
        lambda: write(batch, None),
        repeat=ctx.repeat,
        role=OUTPOST,
        around=rolled_back,
    )
    _note_summary_share(batch_case, batch)
    median = batch_case.get("outpost import path").median
    batch_case.target(f"≤ {BATCH_TARGET:g} s (at L)", median <= BATCH_TARGET, f"{median:.2f} s")
    write(day, new_day)
    write(batch, None)
    return [day_case, batch_case, _rebuild(ctx)]


def _note_summary_share(case: Case, copied: Copied) -> None:
    if copied.summary_seconds:
        share = sorted(copied.summary_seconds)[len(copied.summary_seconds) // 2]
        case.notes.append(f"of which add_to_summaries: {share:.2f} s (median)")
    copied.summary_seconds.clear()


def _read(contacts: list[dict[str, object]]) -> Copied:
    ids = [int(str(c["id"])) for c in contacts]
    items: dict[int, list[dict[str, object]]] = {}
    services: dict[int, list[int]] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for line in ContactItem.objects.filter(contact_id__in=part).values(
            "contact_id", "item_id", "kit_id", "quantity"
        ):
            items.setdefault(int(line["contact_id"]), []).append(dict(line))
        for contact_id, service_id in ContactService.objects.filter(
            contact_id__in=part
        ).values_list("contact_id", "service_type_id"):
            services.setdefault(contact_id, []).append(service_id)
    return Copied(contacts, items, services)


FIELDS = (
    "id",
    "org_id",
    "site_id",
    "client_id",
    "channel",
    "occurred_at",
    "date",
    "worker_id",
    "syringes_returned",
)


def _day(ctx: Context) -> Copied:
    recent = (
        Contact.objects.filter(date__gt=ctx.end - datetime.timedelta(days=28))
        .values("date")
        .annotate(n=Count("pk"))
        .order_by("-n", "date")
    )
    busiest = recent[0]["date"]
    return _read(list(Contact.objects.filter(date=busiest).order_by("pk").values(*FIELDS)))


def _batch(ctx: Context) -> Copied:
    month_contacts = Contact.objects.filter(date__range=(ctx.month.first, ctx.month.last)).count()
    size = max(1, round(month_contacts * plan.BACKDATED_SHARE * plan.MONTH_END_BATCH_SHARE))
    first = ctx.end - datetime.timedelta(days=plan.BACKDATE_MAX_DAYS)
    ids = list(Contact.objects.filter(date__gte=first).order_by("pk").values_list("pk", flat=True))
    chosen = sorted(Random(1).sample(ids, min(size, len(ids))))  # noqa: S311 — a reproducible sample
    contacts: list[dict[str, object]] = []
    for start in range(0, len(chosen), CHUNK):
        part = chosen[start : start + CHUNK]
        contacts.extend(Contact.objects.filter(pk__in=part).order_by("pk").values(*FIELDS))
    return _read(contacts)


def write(copied: Copied, day: datetime.date | None) -> None:
    """Write the contacts again, on ``day`` or on their own dates, as the import does."""
    clients: set[int] = set()
    for start in range(0, len(copied.contacts), CHUNK):
        part = copied.contacts[start : start + CHUNK]
        made = []
        for row in part:
            date = day or row["date"]
            assert isinstance(date, datetime.date) and isinstance(row["date"], datetime.date)  # noqa: S101
            moment = row["occurred_at"]
            assert isinstance(moment, datetime.datetime)  # noqa: S101
            made.append(
                Contact(
                    **{k: v for k, v in row.items() if k not in {"id", "date", "occurred_at"}},
                    date=date,
                    occurred_at=moment + (date - row["date"]),
                )
            )
        Contact.objects.bulk_create(made)
        lines: list[ContactItem] = []
        given: list[ContactService] = []
        for row, contact in zip(part, made, strict=True):
            source = int(str(row["id"]))
            lines.extend(
                ContactItem(
                    contact_id=contact.pk, **{k: v for k, v in line.items() if k != "contact_id"}
                )
                for line in copied.items.get(source, [])
            )
            given.extend(
                ContactService(contact_id=contact.pk, service_type_id=service)
                for service in copied.services.get(source, [])
            )
            if contact.client_id is not None:
                clients.add(contact.client_id)
        ContactItem.objects.bulk_create(lines)
        ContactService.objects.bulk_create(given)
        with stopwatch() as spent:
            add_to_summaries([contact.pk for contact in made])
        copied.summary_seconds.append(spent[0])
    _note_contact_dates(sorted(clients))


# The rebuild, with a reader -------------------------------------------------------


@dataclass
class Reader:
    """Sums the last month on its own connection until told to stop."""

    sql: str
    expected: tuple[object, ...] | None = None
    latencies: list[float] = field(default_factory=list)
    wrong: list[tuple[object, ...]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def loop(self) -> None:
        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(self.sql)
                    row = tuple(cursor.fetchone())
                self.latencies.append(time.perf_counter() - started)
                if self.expected is None:
                    self.expected = row
                elif row != self.expected:
                    self.wrong.append(row)
                time.sleep(0.005)
        except Exception as error:  # noqa: BLE001 — reported as a failed check
            self.errors.append(repr(error))
        finally:
            connection.close()


def _reader_during(work: Callable[[], None], sql: str, warm_up: float) -> tuple[Reader, Reader]:
    """Run ``work`` while a reader reads; also a reader's figures before it."""
    before, during = Reader(sql), Reader(sql)
    thread = threading.Thread(target=before.loop)
    thread.start()
    time.sleep(warm_up)
    before.stop.set()
    thread.join()
    during.expected = before.expected
    thread = threading.Thread(target=during.loop)
    thread.start()
    try:
        work()
    finally:
        during.stop.set()
        thread.join()
    return before, during


def _rebuild(ctx: Context) -> Case:
    whole = ctx.scale != "L" or ctx.long
    org_id = None if whole else ctx.largest_org
    scope = "every organisation" if whole else f"organisation {org_id} only"
    case = Case("B5", f"rebuild the summaries ({scope}) while a reader queries")
    with connection.cursor() as cursor:
        for model, columns in SUMMARY_COLUMNS.items():
            where = "" if org_id is None else f" WHERE org_id = {int(org_id)}"
            cursor.execute(
                f"CREATE TEMP TABLE kept_{model._meta.model_name} AS SELECT {', '.join(columns)} "  # noqa: S608
                f"FROM {model._meta.db_table}{where}"
            )
    sql = (
        "SELECT COUNT(*), SUM(contacts), SUM(units_syringe) FROM contacts_contactday "  # noqa: S608
        f"WHERE date BETWEEN '{ctx.month.first.isoformat()}' AND '{ctx.month.last.isoformat()}'"
    )
    timing: list[float] = []

    def rebuild() -> None:
        with stopwatch() as spent:
            rebuild_summaries(org_id)
        timing.extend(spent)

    if in_memory():
        # Threads share an in-memory test database's locks: no reader here.
        rebuild()
        case.notes.append("reader skipped: in-memory test database")
    else:
        before, during = _reader_during(rebuild, sql, warm_up=1.0)
        _check_reader(case, before, during)
    case.measured.append(_single("outpost rebuild_summaries", timing))
    for model, columns in SUMMARY_COLUMNS.items():
        differing = _differences(model, columns, org_id)
        case.check(
            f"{model.__name__}: rebuilt equals incrementally kept",
            differing == 0,
            f"{differing} rows differ",
        )
    return case


def _single(name: str, seconds: list[float]) -> Measured:
    return Measured(name, OUTPOST, seconds, 0, note="one run: a rebuild is not repeated")


def _check_reader(case: Case, before: Reader, during: Reader) -> None:
    base = percentile(before.latencies, 95)
    worst = max(during.latencies, default=0.0)
    case.check(
        "reader saw no error",
        not (before.errors or during.errors),
        "; ".join(before.errors + during.errors),
    )
    case.check(
        "reader always saw the committed figures (never a half-built state)",
        not during.wrong,
        f"{len(during.wrong)} of {len(during.latencies)} reads differed",
    )
    # "Blocked": a read waiting on the rebuild, far beyond its usual time.
    blocked = worst > max(1.0, 10 * base)
    case.target(
        "reader never blocked",
        not blocked and bool(during.latencies),
        f"{len(during.latencies)} reads during the rebuild, slowest {worst * 1000:.0f} ms; "
        f"before it p95 {base * 1000:.0f} ms",
    )


def _differences(
    model: type[ContactDay] | type[ServiceDay], columns: list[str], org_id: int | None
) -> int:
    kept, table = f"kept_{model._meta.model_name}", model._meta.db_table
    where = "" if org_id is None else f" WHERE org_id = {int(org_id)}"
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT {listed} FROM {kept} "  # noqa: S608
            f"EXCEPT SELECT {listed} FROM {table}{where}) a"
        )
        missing = int(cursor.fetchone()[0])
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT {listed} FROM {table}{where} "  # noqa: S608
            f"EXCEPT SELECT {listed} FROM {kept}) a"
        )
        extra = int(cursor.fetchone()[0])
    return missing + extra
