"""B2: monthly unique clients for 12 months × organisation × sex × age band, and the total.

A cell counts each client with a contact in that month once; the age band
is the client's age on their first contact in the month (SPEC §3.3); the
total is its own distinct count over the year, never a sum of cells.

Outpost answers with ``compute_report`` asked for this one measure, as the
indicators page and the API do when a user picks it; the full report, with
every measure of SPEC §3.1, is timed beside it for reference.
"""

import math

import numpy as np
import pandas as pd
from django.db import connection

from bench.context import Context
from bench.harness import DIAGNOSTIC, Case, measure, measure_or_cancelled, same_answer
from bench.peers import age_sql, band_sql, month_sql, raw_export
from outpost.core.periods import Period
from outpost.reports import definitions as d
from outpost.reports.indicators import compute_report, scope_of

BY = (d.MONTH, d.ORG, d.SEX, d.AGE_BAND)
REACHED = "clients_reached"
TOTAL = ("total",)
Cells = dict[tuple[str, ...], int]


def run(ctx: Context) -> list[Case]:
    case = Case("B2", "monthly unique clients, 12 months × org × sex × age band, and total")
    period = ctx.year
    mine = measure_or_cancelled(
        case,
        "outpost compute_report",
        lambda: outpost(ctx, period),
        repeat=ctx.repeat,
        limit=ctx.statement_limit,
    )
    if mine is not None:
        measure(
            case,
            "outpost, every measure (not a peer)",
            lambda: outpost(ctx, period, every=True),
            repeat=ctx.repeat,
            role=DIAGNOSTIC,
        )
    raw = raw_export(ctx)
    raw.duck()  # loaded before any timing
    peers = {
        "duckdb on raw rows": lambda: duckdb_cells(ctx, period),
        "pandas from CSV": lambda: pandas_cells(ctx, period),
        "hand-written SQL on summaries": lambda: sql_cells(period, "contacts_contactday"),
        "naive COUNT(DISTINCT) on raw rows": lambda: sql_cells(period, "contacts_contact"),
    }
    # Without Outpost's answer, the peers are checked against DuckDB's.
    expected: Cells | None = mine
    reference = "outpost" if mine is not None else "duckdb on raw rows"
    for name, work in peers.items():
        got = measure(case, name, work, repeat=ctx.repeat)
        if expected is None:
            expected = got
        elif name != reference:
            same_answer(case, name, expected, got, reference)
    if expected is None:
        return [case]
    case.notes.append(
        f"{len(expected) - 1} cells; total {expected[TOTAL]:,} clients; period "
        f"{period.first} – {period.last}; CSV export {raw.export_seconds:.1f} s, "
        f"DuckDB load {raw.load_seconds:.1f} s (outside the timings)"
    )
    add_targets(case)
    return [case]


def add_targets(case: Case) -> None:
    mine = case.get("outpost compute_report").median
    if math.isnan(mine):
        case.target("≤ 1 s (at L)", False, "did not finish")
        return
    duck = case.get("duckdb on raw rows").median
    pandas_ = case.get("pandas from CSV").median
    case.target("≤ 1 s (at L)", mine <= 1.0, f"{mine:.2f} s")
    case.target("≤ 2 × DuckDB", mine <= 2 * duck, f"{mine / duck:.1f} × DuckDB")
    case.target("≥ 20 × faster than pandas", pandas_ >= 20 * mine, f"{pandas_ / mine:.1f} ×")


def outpost(ctx: Context, period: Period, *, every: bool = False) -> Cells:
    report = compute_report(scope_of(ctx.org_ids), period, BY, None if every else [REACHED])
    figure = next(f for f in report.figures if f.measure.id == REACHED)
    cells: Cells = {key: int(value) for key, value in figure.cells.items() if value}
    cells[TOTAL] = int(figure.total or 0)
    return cells


def _cells_sql(vendor: str, contacts: str, clients: str, period: Period) -> tuple[str, str]:
    month = month_sql(vendor, "date")
    age = age_sql(vendor, "cl.birth_date", "f.first_day")
    where = (
        f"client_id IS NOT NULL AND date BETWEEN '{period.first.isoformat()}' "
        f"AND '{period.last.isoformat()}'"
    )
    cells = f"""
        WITH firsts AS (
            SELECT client_id, org_id, {month} AS month, MIN(date) AS first_day
            FROM {contacts} WHERE {where}
            GROUP BY client_id, org_id, {month}
        )
        SELECT f.month, f.org_id, cl.sex, {band_sql(age)} AS band, COUNT(DISTINCT f.client_id)
        FROM firsts f JOIN {clients} cl ON cl.id = f.client_id
        GROUP BY f.month, f.org_id, cl.sex, {band_sql(age)}
    """  # noqa: S608 — dates and table names only, no input
    total = f"SELECT COUNT(DISTINCT client_id) FROM {contacts} WHERE {where}"  # noqa: S608
    return cells, total


def _as_cells(rows: list[tuple[object, ...]], total: int) -> Cells:
    cells: Cells = {
        (str(month), str(org_id), str(sex), str(band)): int(str(n))
        for month, org_id, sex, band, n in rows
    }
    cells[TOTAL] = total
    return cells


def sql_cells(period: Period, table: str) -> Cells:
    cells_sql, total_sql = _cells_sql(connection.vendor, table, "clients_client", period)
    with connection.cursor() as cursor:
        cursor.execute(cells_sql)
        rows = cursor.fetchall()
        cursor.execute(total_sql)
        total = cursor.fetchone()[0]
    return _as_cells(rows, int(total))


def duckdb_cells(ctx: Context, period: Period) -> Cells:
    duck = raw_export(ctx).duck()
    cells_sql, total_sql = _cells_sql("duckdb", "contacts", "clients", period)
    rows = duck.execute(cells_sql).fetchall()
    total = duck.execute(total_sql).fetchone()
    return _as_cells(rows, int(total[0]) if total else 0)


def pandas_cells(ctx: Context, period: Period) -> Cells:
    """What an M&E officer would write with the export open in a notebook."""
    files = raw_export(ctx).files
    contacts = pd.read_csv(
        files["contacts"], usecols=["client_id", "org_id", "date"], parse_dates=["date"]
    )
    clients = pd.read_csv(
        files["clients"], usecols=["id", "sex", "birth_date"], parse_dates=["birth_date"]
    )
    first, last = pd.Timestamp(period.first), pd.Timestamp(period.last)
    seen = contacts[contacts["client_id"].notna() & contacts["date"].between(first, last)].copy()
    seen["client_id"] = seen["client_id"].astype("int64")
    seen["month"] = seen["date"].dt.strftime("%Y-%m")
    firsts = seen.groupby(["client_id", "org_id", "month"], as_index=False)["date"].min()
    people = firsts.merge(clients, left_on="client_id", right_on="id")
    day, born = people["date"], people["birth_date"]
    before_birthday = (day.dt.month * 100 + day.dt.day) < (born.dt.month * 100 + born.dt.day)
    age = day.dt.year - born.dt.year - before_birthday.astype("int64")
    people["band"] = np.where(age < 25, "<25", "25+")
    counts = people.groupby(["month", "org_id", "sex", "band"])["client_id"].nunique()
    cells: Cells = {
        (str(month), str(org_id), str(sex), str(band)): int(n)
        for (month, org_id, sex, band), n in counts.items()
    }
    cells[TOTAL] = int(seen["client_id"].nunique())
    return cells
