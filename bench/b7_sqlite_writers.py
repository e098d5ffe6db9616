"""B7: ten workers entering contacts at once while a report is computed.

Ten threads, each a signed-in worker with its own session and connection,
find a client, open the card and save a contact with four items, again
and again; an eleventh thread computes B2's report over and over. On
SQLite this is the small install's worst hour: no request may fail with
"database is locked", and the p95s are compared with the same run on
PostgreSQL (the latest results at this scale), which must be within 1.5×.

It runs on a scratch copy of the database, since the saves must commit.
Every save must be there afterwards, in the contacts and in the summaries.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from pathlib import Path

from django.db import connection
from django.db.models import Sum

from bench.b1_hot_path import card, lookup, open_window, save
from bench.b2_monthly_reach import BY, REACHED
from bench.context import Context
from bench.harness import OUTPOST, Case, Measured
from bench.scratch import scratch_copy, using
from outpost.contacts.models import Contact, ContactDay
from outpost.core.roles import Role
from outpost.core.tests.base import StaffClient
from outpost.orgs.models import Membership, Site, User
from outpost.reports.indicators import compute_report, scope_of

WRITERS = 10
RESULTS = Path(__file__).resolve().parent / "results"
OPERATIONS = ("find", "card", "save")


@dataclass
class Log:
    seconds: dict[str, list[float]] = field(
        default_factory=lambda: {op: [] for op in (*OPERATIONS, "report")}
    )
    errors: list[str] = field(default_factory=list)
    saved: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str, seconds: float) -> None:
        with self.lock:
            self.seconds[operation].append(seconds)


def run(ctx: Context) -> list[Case]:
    iterations = 2 if ctx.scale == "T" else max(2 * ctx.repeat, 5)
    log = Log()
    with scratch_copy(ctx.workdir) as scratch, using(scratch):
        site = Site.objects.get(pk=ctx.busiest_site)
        users = _writers(site)
        before = _totals()
        done = threading.Event()
        reader = threading.Thread(target=_read, args=(ctx, log, done))
        writers = [
            threading.Thread(target=_write, args=(site, user, index, iterations, log))
            for index, user in enumerate(users)
        ]
        reader.start()
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        reader.join()
        after = _totals()
    return _cases(ctx, log, before, after, iterations)


def _writers(site: Site) -> list[User]:
    """Ten social workers at the site: the generated one and new ones."""
    users = []
    for index in range(WRITERS):
        user, _ = User.objects.get_or_create(username=f"bench-writer-{site.pk}-{index}")
        Membership.objects.get_or_create(
            user=user, org_id=site.org_id, defaults={"role": Role.SOCIAL_WORKER, "site": site}
        )
        users.append(user)
    return users


def _totals() -> tuple[int, int]:
    contacts = Contact.objects.count()
    summed = ContactDay.objects.aggregate(n=Sum("contacts"))["n"] or 0
    return contacts, summed


def _write(site: Site, user: User, index: int, iterations: int, log: Log) -> None:
    try:
        http = StaffClient()
        http.force_login(user)
        window = open_window(site, http=http, least=WRITERS * iterations)
        window.turn = count(index * 3)
        for _ in range(iterations):
            client = window.next_client()
            _timed(log, "find", partial(lookup, window, client))
            _timed(log, "card", partial(card, window, client))
            if _timed(log, "save", partial(save, window, client)):
                with log.lock:
                    log.saved += 1
    except Exception as error:  # noqa: BLE001 — every failure is counted, none may happen
        with log.lock:
            log.errors.append(f"writer {index}: {error!r}")
    finally:
        connection.close()


def _timed(log: Log, operation: str, work: Callable[[], object]) -> bool:
    started = time.perf_counter()
    try:
        work()
    except Exception as error:  # noqa: BLE001 — as above
        with log.lock:
            log.errors.append(f"{operation}: {error!r}")
        return False
    log.add(operation, time.perf_counter() - started)
    return True


def _read(ctx: Context, log: Log, done: threading.Event) -> None:
    try:
        while not done.is_set():
            started = time.perf_counter()
            compute_report(scope_of(ctx.org_ids), ctx.month, BY, [REACHED])
            log.add("report", time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 — as above
        with log.lock:
            log.errors.append(f"reader: {error!r}")
    finally:
        connection.close()


def _cases(
    ctx: Context, log: Log, before: tuple[int, int], after: tuple[int, int], iterations: int
) -> list[Case]:
    postgres = _postgres_p95s(ctx.scale)
    cases = []
    for operation in (*OPERATIONS, "report"):
        who = (
            "the reader's B2 report for the last month"
            if operation == "report"
            else f"{operation}"
        )
        case = Case("B7", f"{WRITERS} writers and a reader at once: {who}")
        measured = Measured("outpost", OUTPOST, log.seconds[operation], 0)
        case.measured.append(measured)
        if connection.vendor == "sqlite" and operation in postgres:
            theirs = postgres[operation]
            case.target(
                "p95 ≤ 1.5 × PostgreSQL",
                measured.p95 <= 1.5 * theirs,
                f"{measured.p95 / theirs:.2f} × ({theirs * 1000:.0f} ms on PostgreSQL)",
            )
        cases.append(case)
    first = cases[0]
    locked = [error for error in log.errors if "locked" in error]
    first.target('no "database is locked"', not locked, f"{len(locked)} times")
    first.target("no request failed", not log.errors, "; ".join(log.errors[:3]) or "none")
    first.check(
        "every save is in the contacts and the summaries",
        after[0] - before[0] == log.saved and after[1] - before[1] == log.saved,
        f"{log.saved} saves; contacts +{after[0] - before[0]}, summaries +{after[1] - before[1]}",
    )
    first.notes.append(
        f"{WRITERS} writers × {iterations} rounds; "
        f"{len(log.seconds['report'])} reports read meanwhile"
    )
    return cases


def _postgres_p95s(scale: str) -> dict[str, float]:
    files = sorted(RESULTS.glob(f"*-{scale}-postgresql.json"))
    if not files:
        return {}
    found = {}
    for case in json.loads(files[-1].read_text())["cases"]:
        if case["bench"] == "B7" and case["measured"]:
            operation = "report" if "report" in case["name"] else case["name"].rsplit(": ", 1)[-1]
            found[operation] = float(case["measured"][0]["p95"])
    return found
