"""An open-loop HTTP load generator: requests start on a schedule, not when others end.

Hand-written rather than Locust: Locust brings gevent, Flask and a dozen
more packages, patches the standard library, and its users wait for each
answer before asking again (a closed loop), which hides a slow server by
asking less of it. Here a dispatcher starts each request at its planned
time on a pool of threads, and latency is counted from that planned time,
so time spent queueing behind a slow server counts too. One request is
one ``http.client`` connection, as gunicorn's sync workers close each.
"""

import http.client
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from random import Random
from urllib.parse import urlencode

CSRF_SECRET = "benchmarkbenchmarkbenchmark01234"  # noqa: S105 — any 32 letters and digits


@dataclass(frozen=True)
class Session:
    """A signed-in worker at a site, with what their requests need."""

    cookie: str
    site_id: int
    codes: tuple[str, ...]
    client_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    channel: str
    manager_cookie: str
    store_id: int


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    cookie: str
    body: dict[str, str] = field(default_factory=dict)
    expect: int = 200


# The mix of BENCHMARKS.md: 70 % entry and look-up, 20 % lists, 10 % dashboards.
MIX: tuple[tuple[str, float], ...] = (
    ("find", 0.30),
    ("card", 0.25),
    ("save", 0.15),
    ("today", 0.10),
    ("stock", 0.10),
    ("dashboard", 0.10),
)


def request_mix(rng: Random, sessions: Sequence[Session]) -> Request:
    """The next request: a kind drawn from MIX, for a worker drawn at random."""
    session = sessions[rng.randrange(len(sessions))]
    draw, kind = rng.random(), MIX[-1][0]
    for name, share in MIX:
        if draw < share:
            kind = name
            break
        draw -= share
    turn = rng.randrange(len(session.codes))
    site, client = session.site_id, session.client_ids[turn]
    if kind == "find":
        return Request(
            kind,
            "POST",
            f"/sites/{site}/entry/find/",
            session.cookie,
            {"code": session.codes[turn]},
            302,
        )
    if kind == "card":
        return Request(kind, "GET", f"/sites/{site}/entry/{client}/", session.cookie)
    if kind == "save":
        body = {
            "channel": session.channel,
            "idempotency_key": str(uuid.uuid4()),
            "syringes_returned": "0",
        }
        body.update({f"item_{item}": "1" for item in session.item_ids})
        return Request(kind, "POST", f"/sites/{site}/entry/{client}/", session.cookie, body, 302)
    if kind == "today":
        return Request(kind, "GET", f"/sites/{site}/today/", session.cookie)
    if kind == "stock":
        return Request(kind, "GET", f"/stock/locations/{session.store_id}/", session.cookie)
    return Request(kind, "GET", "/reports/", session.manager_cookie)


@dataclass
class Outcome:
    kind: str
    planned: float
    started: float
    ended: float
    status: int
    error: str = ""

    @property
    def latency(self) -> float:
        """From the planned start: queueing behind a slow server counts."""
        return self.ended - self.planned

    @property
    def ok(self) -> bool:
        return not self.error


def send(host: str, port: int, request: Request, timeout: float = 30.0) -> int:
    """The status of the answer; a redirect to the sign-in page counts as 401."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Cookie": f"sessionid={request.cookie}; csrftoken={CSRF_SECRET}"}
        body = None
        if request.method == "POST":
            body = urlencode({**request.body, "csrfmiddlewaretoken": CSRF_SECRET})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if "/accounts/login" in (response.getheader("Location") or ""):
            return 401
        return response.status
    finally:
        connection.close()


@dataclass
class Load:
    outcomes: list[Outcome]
    # Set when the server fell so far behind that the rest was not sent.
    stopped_after: float | None = None


def run_load(
    *,
    host: str,
    port: int,
    rate: float,
    seconds: float,
    next_request: Callable[[], Request],
    threads: int = 64,
    most_behind: float = 30.0,
) -> Load:
    """Start ``rate`` requests a second for ``seconds``, unless ``most_behind`` s late."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    total = int(rate * seconds)
    started_count = [0]
    stopped_after = None

    def one(request: Request, planned: float) -> None:
        started = time.perf_counter()
        with lock:
            started_count[0] += 1
        status, error = 0, ""
        try:
            status = send(host, port, request)
            if status != request.expect:
                error = f"{request.kind}: HTTP {status}"
        except OSError as failure:
            error = f"{request.kind}: {failure!r}"
        with lock:
            outcomes.append(
                Outcome(request.kind, planned, started, time.perf_counter(), status, error)
            )

    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        origin = time.perf_counter()
        for index in range(total):
            planned = origin + index / rate
            wait = planned - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            with lock:
                waiting = index - started_count[0]
            if waiting > rate * most_behind:
                stopped_after = index / rate
                break
            pool.submit(one, next_request(), planned)
    finally:
        # Requests still queued here were never sent: they are dropped, and
        # only those on their way are waited for.
        pool.shutdown(wait=True, cancel_futures=stopped_after is not None)
    return Load(sorted(outcomes, key=lambda outcome: outcome.planned), stopped_after)
