"""B6: mixed HTTP load against a real server: gunicorn, production settings, DEBUG off.

The server runs on a scratch copy (the saves commit) with 2 × CPUs + 1
sync workers, as gunicorn advises, and the production settings except
static file storage (``bench.server_settings``). Signed-in sessions are
made beforehand, one social worker per site of the largest organisation
and a manager for the dashboard. The mix is ``load.MIX``.

Two phases: a steady rate (50 requests/s for 60 s; 10 minutes with
``--long``), then a ramp of 10 s steps that stops at the first step the
server cannot keep up with. The *knee* is the highest step with no error,
at least 95 % of the offered rate achieved, and a p95 of the entry
requests (find, card, save) within 100 ms. The load generator shares the
machine's two cores with the server, so the knee is a lower bound.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from random import Random

from django.conf import settings

from bench.b1_hot_path import open_window
from bench.context import Context
from bench.harness import DIAGNOSTIC, OUTPOST, Case, Measured, percentile
from bench.load import MIX, Outcome, Request, Session, request_mix, run_load, send
from bench.scratch import Scratch, scratch_copy, using
from outpost.core.roles import Role
from outpost.core.tests.base import StaffClient
from outpost.orgs.models import Membership, Site, User

STEADY_RATE = 50.0
STEADY_SECONDS, LONG_SECONDS = 60.0, 600.0
RAMP = (25.0, 50.0, 100.0, 150.0, 200.0, 300.0)
RAMP_SECONDS = 10.0
ENTRY = ("find", "card", "save")
ENTRY_P95 = {"find": 0.030, "card": 0.100, "save": 0.100}
KNEE_P95 = 0.100
HOST = "127.0.0.1"


def run(ctx: Context) -> list[Case]:
    tiny = ctx.scale == "T"
    with scratch_copy(ctx.workdir) as scratch:
        with using(scratch):
            sessions = _sessions(ctx)
        # Fewer workers start faster for the smoke test.
        workers = 2 if tiny else 2 * (os.cpu_count() or 1) + 1
        with _server(scratch, workers) as port:
            _check_each_kind(port, sessions)
            rng = Random(1)  # noqa: S311 — a reproducible mix
            steady_rate, steady_seconds = (
                (5.0, 1.0) if tiny else (STEADY_RATE, LONG_SECONDS if ctx.long else STEADY_SECONDS)
            )
            steady_load = run_load(
                host=HOST,
                port=port,
                rate=steady_rate,
                seconds=steady_seconds,
                next_request=lambda: request_mix(rng, sessions),
            )
            steady = steady_load.outcomes
            steps: list[tuple[float, list[Outcome]]] = []
            for rate in (10.0,) if tiny else RAMP:
                load = run_load(
                    host=HOST,
                    port=port,
                    rate=rate,
                    seconds=1.0 if tiny else RAMP_SECONDS,
                    next_request=lambda: request_mix(rng, sessions),
                )
                steps.append((rate, load.outcomes))
                if load.stopped_after is not None or not _keeps_up(rate, load.outcomes):
                    break
    steady_case = _steady_case(steady_rate, steady_seconds, steady, len(sessions))
    if steady_load.stopped_after is not None:
        steady_case.target(
            "the server kept up",
            False,
            f"more than 30 s behind after {steady_load.stopped_after:.0f} s: stopped",
        )
    return [steady_case, _ramp_case(steps)]


def _sessions(ctx: Context) -> list[Session]:
    """A signed-in worker per stocked site of the largest organisation, and a manager."""
    manager, _ = User.objects.get_or_create(username=f"bench-manager-{ctx.largest_org}")
    Membership.objects.get_or_create(
        user=manager, org_id=ctx.largest_org, defaults={"role": Role.MANAGER}
    )
    boss = StaffClient()
    boss.force_login(manager)
    manager_cookie = boss.cookies[settings.SESSION_COOKIE_NAME].value
    sessions = []
    for site in Site.objects.filter(org_id=ctx.largest_org).order_by("pk")[:10]:
        try:
            window = open_window(site, least=50 if ctx.scale == "T" else 1000)
        except (RuntimeError, IndexError):
            continue  # a site without a worker or without stock to hand out
        sessions.append(
            Session(
                cookie=window.http.cookies[settings.SESSION_COOKIE_NAME].value,
                site_id=site.pk,
                codes=tuple(client.code for client in window.clients),
                client_ids=tuple(client.pk for client in window.clients),
                item_ids=tuple(balance.item_id for balance in window.balances),
                channel=site.default_channel,
                manager_cookie=manager_cookie,
                store_id=window.balances[0].location_id,
            )
        )
    if not sessions:
        raise RuntimeError("no site of the largest organisation can hand out four items")
    return sessions


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(scratch: Scratch, workers: int) -> Iterator[int]:
    port = _free_port()
    env = {
        **os.environ,
        **scratch.env,
        "DJANGO_SETTINGS_MODULE": "bench.server_settings",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "NETWORK_SECRET": settings.NETWORK_SECRET,
        "KEY_DIR": str(settings.KEY_DIR),
        "SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": f"{HOST},localhost",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "config.wsgi:application", "--bind", f"{HOST}:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning", "--timeout", "120"]
    process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603 — our own command
    try:
        _wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(port: int, process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            send(HOST, port, Request("up", "GET", "/accounts/login/", ""), timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _check_each_kind(port: int, sessions: Sequence[Session]) -> None:
    """Every kind of request answers as expected before any load: fail loudly if not."""
    rng = Random(2)  # noqa: S311 — only to reach each kind
    seen: dict[str, int] = {}
    while len(seen) < len(MIX):
        request = request_mix(rng, sessions)
        if request.kind in seen:
            continue
        status = send(HOST, port, request)
        if status != request.expect:
            raise RuntimeError(
                f"{request.kind} {request.path} answered {status}, not {request.expect}"
            )
        seen[request.kind] = status


def _keeps_up(rate: float, outcomes: Sequence[Outcome]) -> bool:
    if not outcomes or any(not outcome.ok for outcome in outcomes):
        return False
    entry = [o.latency for o in outcomes if o.kind in ENTRY]
    return _achieved(outcomes) >= 0.95 * rate and percentile(entry, 95) <= KNEE_P95


def _achieved(outcomes: Sequence[Outcome]) -> float:
    if not outcomes:
        return 0.0
    span = max(o.ended for o in outcomes) - min(o.planned for o in outcomes)
    return len(outcomes) / span if span > 0 else 0.0


def _steady_case(rate: float, seconds: float, outcomes: list[Outcome], users: int) -> Case:
    case = Case(
        "B6", f"steady load: {rate:g} requests/s for {seconds:g} s, {users} workers and a manager"
    )
    case.measured.append(Measured("all requests", OUTPOST, [o.latency for o in outcomes], 0))
    for kind, _ in MIX:
        latencies = [o.latency for o in outcomes if o.kind == kind]
        case.measured.append(Measured(kind, DIAGNOSTIC, latencies, 0))
    errors = [o.error for o in outcomes if not o.ok]
    achieved = _achieved(outcomes)
    case.target(
        "no error", not errors, f"{len(errors)} of {len(outcomes)}: {'; '.join(errors[:3])}"
    )
    case.target(
        "the rate was kept", achieved >= 0.95 * rate, f"{achieved:.1f} requests/s achieved"
    )
    for kind, limit in ENTRY_P95.items():
        p95 = case.get(kind).p95
        case.target(
            f"{kind} p95 ≤ {limit * 1000:.0f} ms under load", p95 <= limit, f"{p95 * 1000:.0f} ms"
        )
    case.notes.append("latency counts from each request's planned start")
    service = ", ".join(
        f"{kind} {_median_service(outcomes, kind) * 1000:.0f} ms" for kind, _ in MIX
    )
    case.notes.append(
        f"median time from sending to the answer (no queueing in the generator): {service}"
    )
    return case


def _median_service(outcomes: Sequence[Outcome], kind: str) -> float:
    return percentile([o.ended - o.started for o in outcomes if o.kind == kind], 50)


def _ramp_case(steps: list[tuple[float, list[Outcome]]]) -> Case:
    case = Case("B6", f"ramp: {RAMP_SECONDS:g} s steps until the server falls behind")
    knee = 0.0
    for rate, outcomes in steps:
        case.measured.append(
            Measured(f"offered {rate:g}/s", DIAGNOSTIC, [o.latency for o in outcomes], 0)
        )
        errors = sum(1 for o in outcomes if not o.ok)
        entry = percentile([o.latency for o in outcomes if o.kind in ENTRY], 95)
        case.notes.append(
            f"{rate:g}/s offered: {_achieved(outcomes):.1f}/s achieved, "
            f"entry p95 {entry * 1000:.0f} ms, {errors} errors"
        )
        if _keeps_up(rate, outcomes):
            knee = rate
    case.target("knee ≥ 200 requests/s", knee >= 200, f"{knee:g} requests/s")
    return case
