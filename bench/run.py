"""Run the benchmarks of BENCHMARKS.md against their peers and keep the results.

    python -m bench --scale M [--only B2,B3] [--repeat 5] [--long]

The database is the one the settings name (``DATABASE_URL`` or
``SQLITE_PATH``), filled by ``generate_dataset`` at the scale given. The
run prints a table, writes it with the figures as JSON to
``bench/results/<date>-<scale>-<vendor>.txt/.json`` and, when both exist for
the scale, prints PostgreSQL beside SQLite. It exits with status 1 when any
peer's answer differs from Outpost's or any check fails.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.harness import Case

RESULTS = Path(__file__).resolve().parent / "results"
BENCHES = {
    "B1": "bench.b1_hot_path",
    "B2": "bench.b2_monthly_reach",
    "B3": "bench.b3_period_indicators",
    "B4": "bench.b4_commodities",
    "B5": "bench.b5_summaries",
    "B6": "bench.b6_http_load",
    "B7": "bench.b7_sqlite_writers",
    "B8": "bench.b8_exports",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    only = [name.strip().upper() for name in args.only.split(",")] if args.only else list(BENCHES)
    unknown = [name for name in only if name not in BENCHES]
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="outpost-bench-") as tmp:
        workdir = Path(tmp)
        _set_up_django(workdir)
        from bench.harness import table

        cases, context = run_suite(
            scale=args.scale, only=only, repeat=args.repeat, long=args.long, workdir=workdir
        )
        text = _header(args, context) + "\n" + table(cases)
        print(text)
        failures = [failure for case in cases for failure in case.failed]
        _write(args.scale, str(context["vendor"]), cases, context, text)
        print(_comparison(args.scale))
    if failures:
        print("\nFAILED: answers or checks that do not hold:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["T", "S", "M", "L"], default="S")
    parser.add_argument("--only", default="", help="Comma-separated ids, e.g. B2,B3.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed repetitions (at least 5).")
    parser.add_argument("--long", action="store_true", help="B6 for the full 10 minutes.")
    return parser


def _set_up_django(workdir: Path) -> None:
    """Settings as for the server, with a master key of the run's own if none is set."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    key_dir = Path(os.environ.get("KEY_DIR", ""))
    needs_key = not (key_dir / "master.key").exists()
    if needs_key:
        os.environ["KEY_DIR"] = str(workdir / "keys")
    import django

    django.setup()
    from django.conf import settings

    if needs_key:
        from outpost.vault.testing import install_master_key

        install_master_key(workdir / "keys")
    # DEBUG keeps every query in memory, which would be timed and traced too.
    settings.DEBUG = False
    # Django's test client, which B1 and B7 drive the views with, says
    # it is "testserver".
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def run_suite(
    *, scale: str, only: Sequence[str], repeat: int, long: bool, workdir: Path
) -> tuple[list["Case"], dict[str, object]]:
    """Run the benchmarks named in ``only``; a crash becomes a failed case."""
    from bench.context import build_context
    from bench.harness import Case
    from bench.peers import forget_exports

    ctx = build_context(scale=scale, repeat=repeat, workdir=workdir, long=long)
    cases: list[Case] = []
    try:
        for name in only:
            module = importlib.import_module(BENCHES[name])
            started = time.perf_counter()
            try:
                ran = module.run(ctx)
                ran[0].notes.append(f"{name} took {time.perf_counter() - started:.0f} s in all")
                cases.extend(ran)
            except Exception:  # noqa: BLE001 — one broken benchmark must not hide the rest
                crashed = Case(name, "crashed")
                crashed.check("ran to the end", False, traceback.format_exc(limit=8))
                cases.append(crashed)
    finally:
        forget_exports()
    context: dict[str, object] = {
        "scale": scale,
        "vendor": ctx.vendor,
        "database": ctx.database,
        "end": ctx.end.isoformat(),
        "year": [ctx.year.first.isoformat(), ctx.year.last.isoformat()],
        "quarter": [ctx.quarter.first.isoformat(), ctx.quarter.last.isoformat()],
        "month": [ctx.month.first.isoformat(), ctx.month.last.isoformat()],
        "repeat": repeat,
    }
    return cases, context


def _header(args: argparse.Namespace, context: dict[str, object]) -> str:
    command = "python -m bench " + " ".join(sys.argv[1:])
    return (
        f"Outpost benchmarks, scale {args.scale}, {context['vendor']} ({context['database']}), "
        f"{_now():%Y-%m-%d %H:%M}\n"
        f"command: {command}\n"
        f"data end {context['end']}; year {context['year']}; quarter {context['quarter']}; "
        f"month {context['month']}; {context['repeat']} timed repetitions after one traced run\n"
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}\n"
        "ratio: Outpost's median ÷ the contender's (below 1: Outpost is faster)\n"
    )


def _write(
    scale: str, vendor: str, cases: Sequence["Case"], context: dict[str, object], text: str
) -> None:
    """Write or update today's results; benchmarks not run now keep their last figures."""
    RESULTS.mkdir(exist_ok=True)
    stem = f"{_now().date().isoformat()}-{scale}-{vendor}"
    path = RESULTS / f"{stem}.json"
    ran = {case.bench for case in cases}
    kept: list[dict[str, object]] = []
    texts: dict[str, str] = {}
    if path.exists():
        old = json.loads(path.read_text())
        kept = [case for case in old["cases"] if case["bench"] not in ran]
        texts = {k: v for k, v in old.get("tables", {}).items() if k not in ran}
    bench_ids = "+".join(sorted(ran))
    texts[bench_ids] = text
    payload = {
        **context,
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "written": _now().isoformat(timespec="seconds"),
        "cases": sorted(kept + [case.as_json() for case in cases], key=lambda c: str(c["bench"])),
        "tables": texts,
    }
    path.write_text(json.dumps(payload, indent=1, default=str))
    (RESULTS / f"{stem}.txt").write_text("\n\n".join(texts.values()) + "\n")


def _plain(name: str) -> str:
    """A contender's name without the database it ran on."""
    return name.replace(" (postgresql)", "").replace(" (sqlite)", "")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _comparison(scale: str) -> str:
    """PostgreSQL beside SQLite for the latest results of each at this scale."""
    latest = {}
    for vendor in ("postgresql", "sqlite"):
        files = sorted(RESULTS.glob(f"*-{scale}-{vendor}.json"))
        if not files:
            return ""
        latest[vendor] = json.loads(files[-1].read_text())
    lines = [
        f"\nPostgreSQL vs SQLite at scale {scale} (latest results of each)",
        f"{'case / contender':<70} {'PostgreSQL':>11} {'SQLite':>11} {'SQLite ÷ PG':>11}",
    ]
    by_key = {}
    for case in latest["sqlite"]["cases"]:
        for m in case["measured"]:
            by_key[(case["bench"], case["name"], _plain(m["name"]))] = m["median"]
    for case in latest["postgresql"]["cases"]:
        for m in case["measured"]:
            other = by_key.get((case["bench"], case["name"], _plain(m["name"])))
            if other is None or not m["median"]:
                continue
            label = f"{case['bench']} {case['name'][:30]} · {m['name']}"[:70]
            lines.append(
                f"{label:<70} {m['median'] * 1000:>9.1f}ms {other * 1000:>9.1f}ms "
                f"{other / m['median']:>10.2f}×"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
