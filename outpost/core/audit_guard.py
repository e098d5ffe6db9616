"""The database triggers that make the audit table append-only.

Migration core 0005 installs them from a copy of these statements (a
migration must not import app code); keep the two in step. On PostgreSQL a
row trigger refuses UPDATE and DELETE; TRUNCATE, which Django's test flush
uses there, fires no row trigger. On SQLite two triggers do the same, and
since Django's SQLite schema editor rebuilds a table to alter it (dropping
its triggers), ``outpost.audit`` reinstalls them after every ``migrate``.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "core_auditevent"
MESSAGE = "audit entries are append-only"

SQLITE_TRIGGERS = ("core_auditevent_no_update", "core_auditevent_no_delete")
SQLITE_INSTALL = tuple(
    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
    for name, event in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE"), strict=True)
)
SQLITE_REMOVE = tuple(f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS)

PG_TRIGGER = "core_auditevent_append_only"
# restrict_violation is SQLSTATE class 23, which Django raises as
# IntegrityError, as it does for SQLite's RAISE(ABORT).
PG_INSTALL = (
    f"CREATE OR REPLACE FUNCTION {PG_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; END; $$;",
    f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE};",
    f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_TRIGGER}();",
)
PG_REMOVE = (
    f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE};",
    f"DROP FUNCTION IF EXISTS {PG_TRIGGER}();",
)


class UnsupportedDatabase(Exception):
    pass


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> Sequence[str]:
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if connection.vendor == "postgresql":
        return PG_INSTALL if install else PG_REMOVE
    raise UnsupportedDatabase(f"No audit guard for {connection.vendor}")


def _run(connection: BaseDatabaseWrapper, statements: Sequence[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_guard(connection: BaseDatabaseWrapper) -> None:
    """Make the audit table refuse UPDATE and DELETE; safe to repeat."""
    _run(connection, _statements(connection, install=True))


def remove_guard(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _statements(connection, install=False))


def guard_installed(connection: BaseDatabaseWrapper) -> bool:
    """Whether the triggers are present and, on PostgreSQL, enabled."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
            return set(SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                [PG_TRIGGER, TABLE],
            )
            row = cursor.fetchone()
            return row is not None and row[0] != "D"
    raise UnsupportedDatabase(f"No audit guard for {connection.vendor}")


@contextmanager
def guard_suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let UPDATE and DELETE through inside the block: for tests only.

    SQLite drops and recreates its triggers; PostgreSQL disables and
    re-enables its trigger, which needs the table owner's rights.
    """
    if connection.vendor == "postgresql":
        # ALTER TABLE refuses while deferred foreign-key checks on the table
        # are queued in the transaction, so run them first.
        suspend = [
            "SET CONSTRAINTS ALL IMMEDIATE;",
            f"ALTER TABLE {TABLE} DISABLE TRIGGER {PG_TRIGGER};",
            "SET CONSTRAINTS ALL DEFERRED;",
        ]
        resume = [
            "SET CONSTRAINTS ALL IMMEDIATE;",
            f"ALTER TABLE {TABLE} ENABLE TRIGGER {PG_TRIGGER};",
            "SET CONSTRAINTS ALL DEFERRED;",
        ]
    else:
        suspend = list(_statements(connection, install=False))
        resume = list(_statements(connection, install=True))
    _run(connection, suspend)
    try:
        yield
    finally:
        _run(connection, resume)
