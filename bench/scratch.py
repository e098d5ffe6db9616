"""A throw-away copy of the benchmark database, for work that must commit.

PostgreSQL copies with ``CREATE DATABASE … TEMPLATE``, which needs the
source to have no other session for a moment; SQLite with its online
backup API, which also copies an in-memory test database. The copy is
dropped on the way out. ``using`` points this process's Django at it;
``env`` gives a server process the same.
"""

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.db import connection, connections

RETRIES = 20


@dataclass(frozen=True)
class Scratch:
    name: str
    env: dict[str, str]


@contextmanager
def scratch_copy(workdir: Path) -> Iterator[Scratch]:
    if connection.vendor == "postgresql":
        with _postgres_copy() as scratch:
            yield scratch
    else:
        with _sqlite_copy(workdir) as scratch:
            yield scratch


@contextmanager
def using(scratch: Scratch) -> Iterator[None]:
    """Point every new connection of this process at the copy, then back.

    An in-memory SQLite test database lives only while a connection holds
    it, and Django never closes that connection: a keeper holds it here
    while this thread's connection really closes.
    """
    settings_dict = connections.settings["default"]
    original = settings_dict["NAME"]
    keeper = None
    if in_memory():
        keeper = sqlite3.connect(original, uri=True)
    _really_close()
    settings_dict["NAME"] = scratch.name
    try:
        yield
    finally:
        _really_close()
        settings_dict["NAME"] = original
        if keeper is not None:
            connection.ensure_connection()
            keeper.close()


def in_memory() -> bool:
    """Whether the database is an in-memory SQLite one, as in tests."""
    name = str(connection.settings_dict["NAME"])
    return connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)


def _really_close() -> None:
    if connection.vendor == "sqlite" and connection.connection is not None:
        connection.connection.close()
        connection.connection = None
    connections.close_all()


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    s = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        autocommit=True,
    )


@contextmanager
def _postgres_copy() -> Iterator[Scratch]:
    s = connection.settings_dict
    source, name = s["NAME"], f"bench_scratch_{os.getpid()}"
    connections.close_all()
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        for attempt in range(RETRIES):
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                break
            except psycopg.errors.ObjectInUse:
                # Another session is connected to the source: wait for it.
                if attempt == RETRIES - 1:
                    raise
                time.sleep(3)
    credentials = quote(str(s["USER"] or ""))
    if s["PASSWORD"]:
        credentials += ":" + quote(str(s["PASSWORD"]))
    url = f"postgres://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}"
    try:
        yield Scratch(name, {"DATABASE_URL": url})
    finally:
        connections.close_all()
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _sqlite_copy(workdir: Path) -> Iterator[Scratch]:
    path = workdir / f"scratch-{os.getpid()}.sqlite3"
    connection.ensure_connection()
    source = connection.connection
    assert isinstance(source, sqlite3.Connection)  # noqa: S101
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
    try:
        yield Scratch(str(path), {"SQLITE_PATH": str(path), "DATABASE_URL": ""})
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
