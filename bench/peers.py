"""The peers' raw data: one CSV export per run, and DuckDB loaded from it.

DuckDB cannot read PostgreSQL or SQLite here (its scanners are extensions
downloaded at run time), so the raw tables go out once per run as CSV:
with ``COPY … TO STDOUT`` on PostgreSQL and Python's csv module on SQLite.
DuckDB loads them into memory before any timing; pandas reads the same
files inside its timing, as an M&E officer with an export would.

Contacts and clients go out whole (a client's first contact ever needs
every contact); item lines and services only for the contacts of the
benchmarks' year, the largest period any peer asks about.
"""

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from django.db import connection

from bench.context import Context

# Table → (SELECT of its columns, DuckDB column types). ``{first}`` and
# ``{last}`` bound the contacts whose lines are exported.
EXPORTS: dict[str, tuple[str, dict[str, str]]] = {
    "contacts": (
        "SELECT id, org_id, site_id, client_id, channel, date FROM contacts_contact",
        {
            "id": "BIGINT",
            "org_id": "BIGINT",
            "site_id": "BIGINT",
            "client_id": "BIGINT",
            "channel": "VARCHAR",
            "date": "DATE",
        },
    ),
    "clients": (
        "SELECT id, org_id, sex, birth_date, network_key, first_contact_date FROM clients_client",
        {
            "id": "BIGINT",
            "org_id": "BIGINT",
            "sex": "VARCHAR",
            "birth_date": "DATE",
            "network_key": "VARCHAR",
            "first_contact_date": "DATE",
        },
    ),
    "contact_items": (
        "SELECT ci.contact_id, ci.item_id, ci.quantity FROM contacts_contactitem ci "
        "JOIN contacts_contact c ON c.id = ci.contact_id "
        "WHERE c.date BETWEEN '{first}' AND '{last}'",
        {"contact_id": "BIGINT", "item_id": "BIGINT", "quantity": "BIGINT"},
    ),
    "contact_services": (
        "SELECT s.contact_id, s.service_type_id FROM contacts_contactservice s "
        "JOIN contacts_contact c ON c.id = s.contact_id "
        "WHERE c.date BETWEEN '{first}' AND '{last}'",
        {"contact_id": "BIGINT", "service_type_id": "BIGINT"},
    ),
    "items": (
        "SELECT id, category_id FROM catalogue_item",
        {"id": "BIGINT", "category_id": "BIGINT"},
    ),
    "categories": (
        "SELECT id, code FROM catalogue_itemcategory",
        {"id": "BIGINT", "code": "VARCHAR"},
    ),
    "service_types": (
        "SELECT id, org_id, code FROM catalogue_servicetype",
        {"id": "BIGINT", "org_id": "BIGINT", "code": "VARCHAR"},
    ),
}


@dataclass
class Raw:
    """The exported CSV files and, once loaded, DuckDB over them."""

    directory: Path
    files: dict[str, Path] = field(default_factory=dict)
    export_seconds: float = 0.0
    load_seconds: float = 0.0
    _duck: duckdb.DuckDBPyConnection | None = None

    def duck(self) -> duckdb.DuckDBPyConnection:
        if self._duck is None:
            started = time.perf_counter()
            self._duck = load_duckdb(self.files)
            self.load_seconds = time.perf_counter() - started
        return self._duck


_raw: dict[str, Raw] = {}


def raw_export(ctx: Context) -> Raw:
    """The run's export, made on first use."""
    key = str(ctx.workdir)
    if key not in _raw:
        raw = Raw(ctx.workdir / "raw")
        raw.directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        for name, (select, _) in EXPORTS.items():
            sql = select.format(first=ctx.year.first.isoformat(), last=ctx.year.last.isoformat())
            path = raw.directory / f"{name}.csv"
            export_csv(sql, path)
            raw.files[name] = path
        raw.export_seconds = time.perf_counter() - started
        _raw[key] = raw
    return _raw[key]


def forget_exports() -> None:
    for raw in _raw.values():
        if raw._duck is not None:
            raw._duck.close()
    _raw.clear()


def export_csv(select: str, path: Path) -> None:
    """One query's rows as CSV with a header; NULL as an empty field."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw_cursor = cursor.cursor
            copy_sql = f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)"
            with path.open("wb") as out, raw_cursor.copy(copy_sql) as copy:
                for block in copy:
                    out.write(block)
            return
        cursor.execute(select)
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([column[0] for column in cursor.description])
            while rows := cursor.fetchmany(10_000):
                writer.writerows(rows)


def load_duckdb(files: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect(":memory:")
    # The same two cores the database and Django get.
    duck.execute("SET threads TO 2")
    for name, path in files.items():
        types = EXPORTS[name][1]
        columns = ", ".join(f"'{column}': '{kind}'" for column, kind in types.items())
        # Only this module's own file, table and column names go in.
        source = f"read_csv('{path}', header = true, columns = {{{columns}}})"
        duck.execute(f"CREATE TABLE {name} AS SELECT * FROM {source}")  # noqa: S608
    return duck


# SQL that differs between PostgreSQL, SQLite and DuckDB --------------------


def month_sql(vendor: str, column: str) -> str:
    """The month of a date as text, ``YYYY-MM``."""
    if vendor == "postgresql":
        return f"to_char({column}, 'YYYY-MM')"
    if vendor == "sqlite":
        return f"strftime('%Y-%m', {column})"
    return f"strftime({column}, '%Y-%m')"


def age_sql(vendor: str, birth: str, day: str) -> str:
    """Age in whole years on ``day``; a birthday counts from its own day."""
    if vendor == "postgresql":
        return (
            f"(CAST(EXTRACT(YEAR FROM {day}) AS integer) - CAST(EXTRACT(YEAR FROM {birth}) "
            f"AS integer) - CASE WHEN to_char({day}, 'MMDD') < to_char({birth}, 'MMDD') "
            "THEN 1 ELSE 0 END)"
        )
    if vendor == "sqlite":
        return (
            f"(CAST(strftime('%Y', {day}) AS integer) - CAST(strftime('%Y', {birth}) AS integer)"
            f" - (strftime('%m%d', {day}) < strftime('%m%d', {birth})))"
        )
    return (
        f"(year({day}) - year({birth}) - CASE WHEN strftime({day}, '%m%d') < "
        f"strftime({birth}, '%m%d') THEN 1 ELSE 0 END)"
    )


def band_sql(age: str) -> str:
    return f"CASE WHEN {age} < 25 THEN '<25' ELSE '25+' END"
