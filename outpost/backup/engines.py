"""Snapshot, restore and fingerprint a database, for SQLite and PostgreSQL.

A fingerprint is, for every table, its row count and a SHA-256 over its
rows in primary key order. Each row is serialised canonically and prefixed
with its length, so no two different tables of rows hash alike by shifting
bytes from one row to the next.

The manifest's fingerprint always describes exactly the data in the
snapshot, never the live database a moment later:

- SQLite: the online backup API copies the live file in one step, under one
  read transaction, so the copy is consistent even while the web app writes
  (WAL lets it). The fingerprint is then read from the copy itself.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot and
  ``pg_dump --snapshot`` dumps that same snapshot; the fingerprint is read in
  the same transaction. Both therefore see one instant of the database, and
  the restore check compares two independent paths (the live tables and the
  restored dump) instead of a restore with itself.
"""

import hashlib
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import LiteralString, Protocol

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow


class EngineError(Exception):
    """The database could not be snapshotted, restored or read."""


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


Fingerprint = dict[str, TableDigest]


class _Digest:
    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, row: bytes) -> None:
        self._hash.update(len(row).to_bytes(8, "big"))
        self._hash.update(row)
        self.rows += 1

    def result(self) -> TableDigest:
        return TableDigest(rows=self.rows, sha256=self._hash.hexdigest())


class Engine(Protocol):
    """What backup and restore need from one kind of database."""

    name: str
    snapshot_name: str

    def snapshot(self, dest: Path) -> Fingerprint:
        """Write a consistent snapshot to ``dest``; fingerprint exactly that."""
        ...

    def default_target(self, stamp: str, scratch: Path) -> str: ...

    def create(self, target: str) -> None:
        """Create ``target`` empty; raise, creating nothing, if it exists."""
        ...

    def load(self, snapshot: Path, target: str) -> None:
        """Load ``snapshot`` into the new, empty ``target``."""
        ...

    def exists(self, target: str) -> bool: ...

    def fingerprint(self, target: str) -> Fingerprint: ...

    def drop(self, target: str) -> None: ...


def engine_for(settings_dict: Mapping[str, object]) -> Engine:
    """Pick the engine for one entry of ``connections``' settings."""
    backend = str(settings_dict.get("ENGINE", ""))
    if backend == "django.db.backends.sqlite3":
        return SqliteEngine(settings_dict)
    if backend == "django.db.backends.postgresql":
        return PostgresEngine(settings_dict)
    raise EngineError(f"Backups support SQLite and PostgreSQL, not {backend or 'no engine'}.")


# SQLite


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _canonical_value(value: object) -> object:
    # SQLite hands back only None, int, float, str and bytes; bytes become a
    # tagged object so that a BLOB never hashes like the same text.
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    return value


def _sqlite_fingerprint(db: sqlite3.Connection) -> Fingerprint:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    result: Fingerprint = {}
    for table in tables:
        info = db.execute(f"PRAGMA table_info({_quote_sqlite(table)})").fetchall()
        pk = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        # A table without a declared key still has a stable rowid, which the
        # backup API copies as it is.
        order = ", ".join(_quote_sqlite(c) for c in pk) or "rowid"
        digest = _Digest()
        query = f"SELECT * FROM {_quote_sqlite(table)} ORDER BY {order}"  # noqa: S608  # names are quoted identifiers read from the schema
        for row in db.execute(query):
            line = json.dumps(
                [_canonical_value(v) for v in row], ensure_ascii=False, separators=(",", ":")
            )
            digest.add(line.encode())
        result[table] = digest.result()
    return result


def _open_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro never creates a missing file and never writes to this one.
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=20)


class SqliteEngine:
    name = "sqlite"
    snapshot_name = "database.sqlite3"

    def __init__(self, settings_dict: Mapping[str, object]) -> None:
        raw = str(settings_dict.get("NAME") or "")
        if not raw or raw == ":memory:" or "mode=memory" in raw:
            raise EngineError("An in-memory SQLite database cannot be backed up.")
        self.live = Path(raw).resolve()

    def snapshot(self, dest: Path) -> Fingerprint:
        if not self.live.is_file():
            raise EngineError(f"The database file {self.live} does not exist.")
        with closing(_open_read_only(self.live)) as src, closing(sqlite3.connect(dest)) as dst:
            # pages=-1 copies everything in one step, under one read
            # transaction: a consistent copy that includes committed WAL
            # frames and never blocks the web app's writers.
            src.backup(dst, pages=-1)
            # One self-contained file: no -wal beside it to leave behind.
            dst.execute("PRAGMA journal_mode=DELETE")
        with closing(_open_read_only(dest)) as db:
            return _sqlite_fingerprint(db)

    def default_target(self, stamp: str, scratch: Path) -> str:
        return str(scratch / f"outpost_restore_{stamp}.sqlite3")

    def create(self, target: str) -> None:
        path = Path(target).resolve()
        if path == self.live:
            raise EngineError("Refusing to restore over the live database.")
        try:
            # O_EXCL: a restore only ever makes a new file, never reuses one.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError as exc:
            raise EngineError(f"{path} already exists; restore needs a new file.") from exc
        except OSError as exc:
            raise EngineError(f"Cannot create {path}: {exc}") from exc

    def load(self, snapshot: Path, target: str) -> None:
        path = Path(target).resolve()
        with closing(_open_read_only(snapshot)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst, pages=-1)
            check = dst.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise EngineError(f"The restored file fails SQLite's integrity check: {check}")

    def exists(self, target: str) -> bool:
        return Path(target).exists()

    def fingerprint(self, target: str) -> Fingerprint:
        with closing(_open_read_only(Path(target))) as db:
            return _sqlite_fingerprint(db)

    def drop(self, target: str) -> None:
        path = Path(target).resolve()
        if path == self.live:  # belt and braces: never delete the live file
            raise EngineError("Refusing to delete the live database.")
        for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)


# PostgreSQL

# Django OPTIONS that are not libpq connection parameters.
_DJANGO_ONLY_OPTIONS = frozenset({"isolation_level", "server_side_binding", "pool", "assume_role"})
# Server output settings that make ROW(...)::text the same on every run.
_CANONICAL_OUTPUT: tuple[LiteralString, ...] = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)
_DATABASE_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,62}\Z")
MAINTENANCE_DB = "postgres"


def _pg_tables(conn: psycopg.Connection[TupleRow]) -> list[tuple[int, str, str]]:
    rows = conn.execute(
        "SELECT c.oid::int8, n.nspname, c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' "
        "AND n.nspname NOT LIKE 'pg\\_%' "
        # An extension's own tables are made by CREATE EXTENSION, not by the
        # dump, so they are neither the backup's data nor comparable.
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype = 'e') "
        "ORDER BY n.nspname, c.relname"
    ).fetchall()
    return [(int(oid), str(schema), str(table)) for oid, schema, table in rows]


def _pg_order(conn: psycopg.Connection[TupleRow], oid: int) -> sql.Composable:
    keys = conn.execute(
        "SELECT a.attname, a.attcollation <> 0 FROM pg_index i "
        "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.ord",
        (oid,),
    ).fetchall()
    if not keys:
        return sql.SQL('ROW(r.*)::text COLLATE "C"')
    # The "C" collation sorts text keys by bytes, the same on any server.
    return sql.SQL(", ").join(
        sql.SQL('{} COLLATE "C"' if collatable else "{}").format(sql.Identifier("r", str(name)))
        for name, collatable in keys
    )


def _pg_fingerprint(conn: psycopg.Connection[TupleRow]) -> Fingerprint:
    """Fingerprint every table, inside the caller's open transaction."""
    result: Fingerprint = {}
    for oid, schema, table in _pg_tables(conn):
        query = sql.SQL("SELECT ROW(r.*)::text FROM {} AS r ORDER BY {}").format(
            sql.Identifier(schema, table), _pg_order(conn, oid)
        )
        digest = _Digest()
        # A named cursor streams rows from the server, so memory stays flat
        # on large tables.
        with conn.cursor(name="outpost_backup_rows") as cur:
            cur.itersize = 2000
            cur.execute(query)
            for (text,) in cur:
                digest.add(str(text).encode())
        result[table if schema == "public" else f"{schema}.{table}"] = digest.result()
    return result


class PostgresEngine:
    name = "postgresql"
    snapshot_name = "database.dump"

    def __init__(self, settings_dict: Mapping[str, object]) -> None:
        self.live = str(settings_dict.get("NAME") or "")
        if not self.live:
            raise EngineError("DATABASES['default']['NAME'] is empty.")
        password = settings_dict.get("PASSWORD")
        self._password = str(password) if password else None
        params: dict[str, object] = {}
        for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
            if settings_dict.get(key):
                params[param] = settings_dict[key]
        options = settings_dict.get("OPTIONS") or {}
        if isinstance(options, Mapping):
            params.update((str(k), v) for k, v in options.items() if k not in _DJANGO_ONLY_OPTIONS)
        self._params = params

    def _conninfo(self, dbname: str) -> str:
        # No password here: this string reaches pg_dump's argv, which any
        # local user can read in ps.
        return make_conninfo(**{str(k): str(v) for k, v in self._params.items()}, dbname=dbname)

    def _connect(self, dbname: str) -> psycopg.Connection[TupleRow]:
        try:
            return psycopg.connect(
                self._conninfo(dbname), password=self._password, autocommit=True
            )
        except psycopg.Error as exc:
            raise EngineError(f"Cannot connect to database {dbname!r}: {exc}") from exc

    def _run(self, argv: list[str]) -> None:
        env = dict(os.environ)
        if self._password is not None:
            env["PGPASSWORD"] = self._password
        try:
            done = subprocess.run(  # noqa: S603  # argv is built here, no shell
                argv, env=env, capture_output=True, text=True, check=False
            )
        except FileNotFoundError as exc:
            raise EngineError(f"{argv[0]} is not installed (postgresql-client).") from exc
        if done.returncode != 0:
            raise EngineError(f"{argv[0]} failed: {done.stderr.strip()[-2000:]}")

    @contextmanager
    def _snapshot_transaction(self, dbname: str) -> Iterator[psycopg.Connection[TupleRow]]:
        with closing(self._connect(dbname)) as conn:
            for statement in _CANONICAL_OUTPUT:
                conn.execute(statement)
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                yield conn

    def snapshot(self, dest: Path) -> Fingerprint:
        with self._snapshot_transaction(self.live) as conn:
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert row is not None  # noqa: S101  # the function always returns a row
            # The exporting transaction stays open until pg_dump is done,
            # which is what keeps the exported snapshot importable.
            self._run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={row[0]}",
                    f"--file={dest}",
                    f"--dbname={self._conninfo(self.live)}",
                ]
            )
            return _pg_fingerprint(conn)

    def default_target(self, stamp: str, scratch: Path) -> str:
        return f"outpost_restore_{stamp}"

    def _check_name(self, target: str) -> None:
        if not _DATABASE_NAME.match(target):
            raise EngineError(
                f"{target!r} is not a usable database name (letters, digits, _; at most 63)."
            )
        if target in {self.live, MAINTENANCE_DB, "template0", "template1"}:
            raise EngineError(f"Refusing to restore into {target!r}: it is not a new database.")

    def create(self, target: str) -> None:
        self._check_name(target)
        with closing(self._connect(MAINTENANCE_DB)) as conn:
            try:
                # template0 is empty, so nothing local to this server can
                # clash with the objects in the dump.
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(target))
                )
            except psycopg.errors.DuplicateDatabase as exc:
                raise EngineError(
                    f"Database {target!r} already exists; restore needs a new one."
                ) from exc
            except psycopg.Error as exc:
                raise EngineError(f"Cannot create database {target!r}: {exc}") from exc

    def load(self, snapshot: Path, target: str) -> None:
        self._run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--no-password",
                f"--dbname={self._conninfo(target)}",
                str(snapshot),
            ]
        )

    def exists(self, target: str) -> bool:
        with closing(self._connect(MAINTENANCE_DB)) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,))
            return row.fetchone() is not None

    def fingerprint(self, target: str) -> Fingerprint:
        with self._snapshot_transaction(target) as conn:
            return _pg_fingerprint(conn)

    def drop(self, target: str) -> None:
        self._check_name(target)
        with closing(self._connect(MAINTENANCE_DB)) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
            )
