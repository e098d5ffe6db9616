"""Timing, memory, answer checks and the printed table shared by every benchmark.

Time is wall-clock ``time.perf_counter`` around the work only; set-up and
clean-up of each repetition (a savepoint, its rollback) are outside it.

Every contender first runs once untimed under ``tracemalloc``: that run
warms caches, gives the answer the others are checked against, and gives
the *peak memory*, the highest Python heap allocation during the call
(numpy and pandas buffers included; DuckDB's native memory and the
database server's are not seen). Timed repetitions run without tracing,
which would slow Python-heavy code several times over.

The p95 is the nearest-rank percentile: with five repetitions it is the
slowest of them.
"""

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import TypeVar

OUTPOST = "outpost"
PEER = "peer"
DIAGNOSTIC = "diagnostic"

A = TypeVar("A")


class Mismatch(Exception):
    """A peer's answer differs from Outpost's."""


@dataclass
class Measured:
    """One contender of one case: Outpost, a peer, or a diagnostic variant."""

    name: str
    role: str
    seconds: list[float]
    peak_bytes: int
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 95)


@dataclass
class Target:
    """A target of BENCHMARKS.md and whether this run met it (None: not measured)."""

    text: str
    met: bool | None
    figure: str


@dataclass
class Case:
    """One line of work of a benchmark, its contenders, checks and targets."""

    bench: str
    name: str
    measured: list[Measured] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> Measured:
        return next(m for m in self.measured if m.name == name)

    def outpost(self) -> Measured | None:
        return next((m for m in self.measured if m.role == OUTPOST), None)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, ok, detail))

    def target(self, text: str, met: bool | None, figure: str) -> None:
        self.targets.append(Target(text, met, figure))

    @property
    def failed(self) -> list[str]:
        return [
            f"{self.bench} {self.name}: {name} {detail}"
            for name, ok, detail in self.checks
            if not ok
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "bench": self.bench,
            "name": self.name,
            "measured": [
                {**asdict(m), "median": m.median, "p95": m.p95, "ratio": self.ratio(m)}
                for m in self.measured
            ],
            "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in self.checks],
            "targets": [asdict(t) for t in self.targets],
            "notes": self.notes,
        }

    def ratio(self, other: Measured) -> float | None:
        """Outpost's median over this contender's: below 1, Outpost is faster."""
        mine = self.outpost()
        if mine is None or other is mine or other.role == DIAGNOSTIC or not other.median:
            return None
        return mine.median / other.median


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def measure(
    case: Case,
    name: str,
    work: Callable[[], A],
    *,
    repeat: int,
    role: str = PEER,
    around: Callable[[], AbstractContextManager[object]] = nullcontext,
    note: str = "",
) -> A:
    """Run ``work`` once traced, then ``repeat`` times timed; return the first answer."""
    with around():
        answer, peak = traced(work)
    seconds = []
    for _ in range(repeat):
        with around():
            started = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - started)
    case.measured.append(Measured(name, role, seconds, peak, note))
    return answer


def traced(work: Callable[[], A]) -> tuple[A, int]:
    """The answer of ``work`` and the peak of Python allocations during it."""
    tracemalloc.start()
    try:
        answer = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return answer, peak


def timed_samples(
    work: Callable[[], object],
    count: int,
    around: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> list[float]:
    """``count`` timings of ``work``, each inside its own ``around``."""
    seconds = []
    for _ in range(count):
        with around():
            started = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - started)
    return seconds


def same_answer(
    case: Case, peer: str, expected: object, got: object, reference: str = "outpost"
) -> None:
    """Record whether a peer's answer equals Outpost's (or another's), with the differences."""
    detail = "" if expected == got else diff(expected, got)
    case.check(f"{peer} = {reference}", expected == got, detail)


def diff(expected: object, got: object, limit: int = 5) -> str:
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        keys = sorted(set(expected) | set(got), key=str)
        wrong = [k for k in keys if expected.get(k) != got.get(k)]
        shown = ", ".join(f"{k!r}: {expected.get(k)!r} ≠ {got.get(k)!r}" for k in wrong[:limit])
        return f"{len(wrong)} of {len(keys)} keys differ (outpost ≠ peer): {shown}"
    return f"outpost {expected!r} ≠ peer {got!r}"


@contextmanager
def statement_limit(seconds: int | None) -> Iterator[None]:
    """Cancel any one statement that runs longer, on PostgreSQL.

    A plan gone wrong at scale L can run for hours; the run reports it
    instead of waiting.
    """
    from django.db import connection

    if seconds is None or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{int(seconds)}s'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def measure_or_cancelled(
    case: Case,
    name: str,
    work: Callable[[], A],
    *,
    repeat: int,
    limit: int | None,
    role: str = OUTPOST,
) -> A | None:
    """``measure`` under ``statement_limit``; None, and a note, if a statement was cancelled."""
    from django.db import OperationalError, connection

    try:
        with statement_limit(limit):
            return measure(case, name, work, repeat=repeat, role=role)
    except OperationalError as error:
        if "statement timeout" not in str(error):
            raise
        connection.close()
        note = f"cancelled: one statement ran over {limit} s ({str(error).splitlines()[0]})"
        case.measured.append(Measured(name, role, [], 0, note))
        return None


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Seconds spent inside the block, appended to the yielded list."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


# The printed table ----------------------------------------------------------


def seconds_text(value: float) -> str:
    if math.isnan(value):
        return "—"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def table(cases: Sequence[Case]) -> str:
    header = (
        f"{'bench':<5} {'case / contender':<52} {'median':>10} {'p95':>10} "
        f"{'peak MiB':>9} {'outpost ÷':>10}"
    )
    lines = [header, "-" * len(header)]
    for case in cases:
        lines.append(f"{case.bench:<5} {case.name}")
        for m in case.measured:
            ratio = case.ratio(m)
            ratio_text = "" if ratio is None else f"{ratio:.2f}×"
            label = f"  {m.name}"
            lines.append(
                f"{'':<5} {label:<52} {seconds_text(m.median):>10} {seconds_text(m.p95):>10} "
                f"{m.peak_bytes / 2**20:>9.1f} {ratio_text:>10}"
            )
            if m.note:
                lines.append(f"{'':<5}     {m.note}")
        for name, ok, detail in case.checks:
            lines.append(
                f"{'':<5}   {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}"
            )
        for t in case.targets:
            mark = {True: "met ", False: "MISS", None: "n/a "}[t.met]
            lines.append(f"{'':<5}   {mark} target {t.text}: {t.figure}")
        lines.extend(f"{'':<5}   note: {note}" for note in case.notes)
    return "\n".join(lines)
