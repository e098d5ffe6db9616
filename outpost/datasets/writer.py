"""Bulk writing of generated rows: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples in the column order of a ``Table``; dates and times are
already text in the form each database stores, so neither path converts
a value. While a dataset loads, secondary indexes and the unique and
foreign-key constraints of the big tables can be dropped and built again
at the end, which is several times faster than keeping them current row by
row; the rebuilt constraints check every row, so nothing goes unchecked.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, models, transaction

from outpost.clients.models import Client, ClientGroup
from outpost.contacts.models import Contact, ContactItem, ContactService
from outpost.datasets.progress import Progress, duration
from outpost.inventory.models import StockMovement
from outpost.testing.models import Referral, Test

Row = Sequence[object]
# Rebuild statements that take longer than this are named in the progress.
_SLOW_SECONDS = 10.0
_SHOWN = 140


@dataclass(frozen=True)
class Table:
    """A model's table and the columns a generated row fills, in order."""

    model: type[models.Model]
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    def model_columns(self) -> set[str]:
        return {field.column for field in self.model._meta.concrete_fields}


CLIENTS = Table(
    Client,
    (
        "id", "org_id", "code", "mother_part", "father_part", "sex", "birth_date",
        "network_key", "first_contact_date", "last_contact_date", "registered_at",
    ),
)  # fmt: skip
CLIENT_GROUPS = Table(ClientGroup, ("id", "client_id", "group"))
CONTACTS = Table(
    Contact,
    (
        "id", "org_id", "site_id", "client_id", "channel", "occurred_at", "date", "worker_id",
        "syringes_returned", "peers", "units_for_peers", "idempotency_key", "recorded_at",
    ),
)  # fmt: skip
CONTACT_ITEMS = Table(ContactItem, ("id", "contact_id", "item_id", "kit_id", "quantity"))
CONTACT_SERVICES = Table(ContactService, ("id", "contact_id", "service_type_id"))
TESTS = Table(
    Test,
    (
        "id", "org_id", "site_id", "client_id", "contact_id", "disease", "method", "kit_id",
        "lot", "handout_id", "pre_counselling", "result", "result_given", "post_counselling",
        "tested_on", "recorded_by_id", "recorded_at", "idempotency_key",
    ),
)  # fmt: skip
REFERRALS = Table(
    Referral,
    (
        "id", "org_id", "site_id", "client_id", "test_id", "target", "disease", "issued_on",
        "due_on", "status", "completed_on", "confirmation", "issued_by_id", "recorded_at",
        "idempotency_key",
    ),
)  # fmt: skip
MOVEMENTS = Table(
    StockMovement,
    (
        "id", "org_id", "location_id", "item_id", "lot", "expires_on", "kind", "quantity",
        "occurred_on", "contact_id", "transfer_id", "stocktake_id", "supplier", "reason",
        "note", "recorded_by_id", "recorded_at", "idempotency_key",
    ),
)  # fmt: skip
# In the order parents come before the rows that point at them.
TABLES = (
    CLIENTS,
    CLIENT_GROUPS,
    CONTACTS,
    CONTACT_ITEMS,
    CONTACT_SERVICES,
    TESTS,
    REFERRALS,
    MOVEMENTS,
)


class Writer:
    """Write rows in bulk and keep count of rows and seconds per table."""

    def __init__(self) -> None:
        self.rows: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.rebuild_seconds = 0.0

    def first_id(self, table: Table) -> int:
        """The id after the highest one in the table, so ids can be given upfront."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {_quoted(table.name)}")  # noqa: S608
            (highest,) = cursor.fetchone() or (None,)
        return int(highest or 0) + 1

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        if not rows:
            return
        started = time.monotonic()
        self._write(table, rows)
        self.rows[table.name] += len(rows)
        self.seconds[table.name] += time.monotonic() - started

    @contextmanager
    def tuned(self) -> Iterator[None]:
        """Settings for a bulk load, on this connection only, undone afterwards."""
        self._tune()
        try:
            yield
        finally:
            self._untune()

    @contextmanager
    def indexes_deferred(
        self,
        models_: Sequence[type[models.Model]],
        *,
        progress: Progress,
        keep_unique: bool = False,
    ) -> Iterator[None]:
        """Drop the tables' secondary indexes and constraints, and rebuild them after.

        ``keep_unique`` keeps unique indexes that an upsert needs as its
        conflict target.
        """
        tables = [model._meta.db_table for model in models_]
        rebuild = self._drop_indexes(tables, keep_unique=keep_unique)
        progress.say(f"dropped {len(rebuild)} indexes and constraints of {', '.join(tables)}")
        yield
        started = time.monotonic()
        for done, statement in enumerate(rebuild, start=1):
            began = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute(statement)
            if time.monotonic() - began >= _SLOW_SECONDS:
                progress.say(f"{duration(time.monotonic() - began)} for {statement[:_SHOWN]}")
            progress.step("indexes and constraints rebuilt", done, len(rebuild))
        spent = time.monotonic() - started
        self.rebuild_seconds += spent
        progress.say(f"rebuilt {len(rebuild)} indexes and constraints in {duration(spent)}")

    def reset_sequences(self, tables: Sequence[Table]) -> None:
        """Let rows created later take ids after the generated ones."""
        statements = connection.ops.sequence_reset_sql(
            no_style(), [table.model for table in tables]
        )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def _write(self, table: Table, rows: Sequence[Row]) -> None:
        raise NotImplementedError

    def _tune(self) -> None:
        """Settings for a bulk load, on this connection only."""

    def _untune(self) -> None:
        """Undo ``_tune``."""

    def _drop_indexes(self, tables: Sequence[str], *, keep_unique: bool) -> list[str]:
        """Drop what can be rebuilt faster afterwards; return how to rebuild it."""
        raise NotImplementedError


class PostgresWriter(Writer):
    """COPY through psycopg 3 on the connection Django holds."""

    def _write(self, table: Table, rows: Sequence[Row]) -> None:
        columns = ", ".join(_quoted(column) for column in table.columns)
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            sql = f"COPY {_quoted(table.name)} ({columns}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)

    def analyze(self) -> None:
        # VACUUM also marks the pages all-visible, so index-only scans work
        # from the first query; it cannot run inside a transaction.
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(statement)

    def _tune(self) -> None:
        with connection.cursor() as cursor:
            # Generated times are UTC text; Django sets this already.
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute("SET synchronous_commit TO off")
            cursor.execute("SET maintenance_work_mem TO '1GB'")
            cursor.execute("SET work_mem TO '256MB'")

    def _untune(self) -> None:
        with connection.cursor() as cursor:
            for setting in ("synchronous_commit", "maintenance_work_mem", "work_mem"):
                cursor.execute(f"RESET {setting}")

    def _drop_indexes(self, tables: Sequence[str], *, keep_unique: bool) -> list[str]:
        # Foreign keys go first and come back last: a unique constraint
        # cannot go while a foreign key leans on it.
        drops: dict[str, list[str]] = {"f": [], "u": [], "i": []}
        rebuild: dict[str, list[str]] = {"f": [], "u": [], "i": []}
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                # Checks deferred to the end of an enclosing transaction
                # would otherwise forbid altering the tables.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                name = _quoted(table)
                cursor.execute(
                    "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = ANY(%s) ORDER BY conname",
                    [table, ["f"] if keep_unique else ["f", "u"]],
                )
                for constraint, kind, definition in cursor.fetchall():
                    drops[kind].append(f"ALTER TABLE {name} DROP CONSTRAINT {_quoted(constraint)}")
                    rebuild[kind].append(
                        f"ALTER TABLE {name} ADD CONSTRAINT {_quoted(constraint)} {definition}"
                    )
                cursor.execute(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
                    "WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) "
                    "AND NOT (i.indisunique AND %s) ORDER BY c.relname",
                    [table, keep_unique],
                )
                for index, definition in cursor.fetchall():
                    drops["i"].append(f"DROP INDEX {_quoted(index)}")
                    rebuild["i"].append(definition)
            for statement in [*drops["f"], *drops["u"], *drops["i"]]:
                cursor.execute(statement)
        return [*rebuild["i"], *rebuild["u"], *rebuild["f"]]


class SqliteWriter(Writer):
    """executemany in one transaction per chunk, with durability relaxed."""

    _saved: dict[str, object]

    def _write(self, table: Table, rows: Sequence[Row]) -> None:
        columns = ", ".join(_quoted(column) for column in table.columns)
        marks = ", ".join("?" * len(table.columns))
        sql = f"INSERT INTO {_quoted(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
        connection.ensure_connection()
        with transaction.atomic():
            connection.connection.executemany(sql, rows)

    def _tune(self) -> None:
        self._saved = {}
        if connection.in_atomic_block:
            # SQLite ignores these inside a transaction.
            return
        with connection.cursor() as cursor:
            for pragma, value in _SQLITE_LOADING.items():
                cursor.execute(f"PRAGMA {pragma}")
                self._saved[pragma] = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA {pragma} = {value}")

    def _untune(self) -> None:
        with connection.cursor() as cursor:
            for pragma, value in self._saved.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")

    def _drop_indexes(self, tables: Sequence[str], *, keep_unique: bool) -> list[str]:
        rebuild: list[str] = []
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
                    [table],
                )
                for index, definition in cursor.fetchall():
                    if keep_unique and definition.startswith("CREATE UNIQUE"):
                        continue
                    cursor.execute(f"DROP INDEX {_quoted(index)}")
                    rebuild.append(definition)
        return rebuild


# A crash while loading leaves a broken file, which is acceptable for data
# that can be generated again; the previous values return afterwards.
_SQLITE_LOADING = {
    "synchronous": "OFF",
    "journal_mode": "MEMORY",
    "cache_size": "-262144",
    "temp_store": "MEMORY",
}


def writer_for_connection() -> Writer:
    if connection.vendor == "postgresql":
        return PostgresWriter()
    if connection.vendor == "sqlite":
        return SqliteWriter()
    raise NotImplementedError(f"No bulk writer for {connection.vendor}.")


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)
