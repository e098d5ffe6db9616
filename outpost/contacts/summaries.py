"""Keep the contact summaries (``ContactDay``, ``ServiceDay``) equal to the contacts.

Every write of contacts adds its contacts here in the same transaction, and
``rebuild_summaries`` recomputes the tables from the raw rows. Both paths
run the same statement, an ``INSERT … SELECT … ON CONFLICT DO UPDATE`` that
adds to an existing row, so what is kept incrementally and what is rebuilt
cannot drift apart. The SQL is written by hand because the ORM has neither
``INSERT … SELECT`` nor an upsert that adds to the stored value; it is the
same text on SQLite and PostgreSQL except for the month expression.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from outpost.contacts.models import ContactDay, ServiceDay

# Item category code → the ContactDay column that sums its units. The
# category "kit" is absent: contacts record a kit as its components.
UNIT_COLUMNS = {
    code: f"units_{code}"
    for code in (
        "syringe",
        "needle",
        "alcohol_wipe",
        "water",
        "condom",
        "lubricant",
        "naloxone",
        "hiv_self_test",
        "rapid_test_hiv",
        "rapid_test_hbv",
        "rapid_test_hcv",
        "rapid_test_syphilis",
        "information",
    )
}

_KEY = ["site_id", "channel", "client_id", "date"]
_SUMS = ["contacts", "syringes_returned", *UNIT_COLUMNS.values()]


@dataclass(frozen=True)
class _Filter:
    """Which contacts to add, as SQL over the contacts table aliased ``c``."""

    sql: str
    params: Sequence[int]


def add_to_summaries(
    contact_ids: Collection[int], *, anonymous: bool | None = None, services: bool = True
) -> None:
    """Add newly saved contacts, with their items and services, to the summaries.

    A caller that knows whether the contacts are anonymous, or that none
    gave a service, saves the statements that would find nothing.
    """
    if not contact_ids:
        return
    ids = sorted(contact_ids)
    placeholders = ", ".join(["%s"] * len(ids))
    kinds = (False, True) if anonymous is None else (anonymous,)
    _add(_Filter(f"c.id IN ({placeholders})", ids), kinds=kinds, services=services)


def add_services_to_summaries(
    contact_id: int, service_type_ids: Collection[int], *, anonymous: bool | None = None
) -> None:
    """Add services newly given at a contact already summarised."""
    if not service_type_ids:
        return
    ids = sorted(service_type_ids)
    placeholders = ", ".join(["%s"] * len(ids))
    only = _Filter(f"c.id = %s AND s.service_type_id IN ({placeholders})", [contact_id, *ids])
    for kind in (False, True) if anonymous is None else (anonymous,):
        _run(_services_sql(only, anonymous=kind))


@transaction.atomic
def rebuild_summaries(org_id: int | None = None) -> None:
    """Recompute the summaries from the raw contacts, of one organisation or all.

    One transaction: readers keep seeing the old rows until it commits.
    Writers of contacts wait for it on PostgreSQL (the summary tables are
    locked against writes); SQLite has one writer at a time anyway.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (ContactDay, ServiceDay):
                cursor.execute(f"LOCK TABLE {_table(model)} IN EXCLUSIVE MODE")
        for model in (ContactDay, ServiceDay):
            if org_id is None:
                cursor.execute(f"DELETE FROM {_table(model)}")  # noqa: S608
            else:
                cursor.execute(f"DELETE FROM {_table(model)} WHERE org_id = %s", [org_id])  # noqa: S608
    _add(_Filter("TRUE", []) if org_id is None else _Filter("c.org_id = %s", [org_id]))


def _add(only: _Filter, *, kinds: Sequence[bool] = (False, True), services: bool = True) -> None:
    for anonymous in kinds:
        _run(_contacts_sql(only, anonymous=anonymous))
        if services:
            _run(_services_sql(only, anonymous=anonymous))


def _run(statement: tuple[str, list[int | str]]) -> None:
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _contacts_sql(only: _Filter, *, anonymous: bool) -> tuple[str, list[int | str]]:
    units = ",\n".join(
        f"SUM(CASE WHEN cat.code = %s THEN ci.quantity ELSE 0 END) AS {column}"
        for column in UNIT_COLUMNS.values()
    )
    totals = ", ".join(f"SUM(COALESCE(i.{column}, 0))" for column in UNIT_COLUMNS.values())
    columns = ["org_id", *_KEY, "month", *_SUMS]
    sql = f"""
        INSERT INTO {_table(ContactDay)} ({", ".join(columns)})
        SELECT c.org_id, c.site_id, c.channel, c.client_id, c.date, {month_sql("c.date")},
               COUNT(*), SUM(c.syringes_returned), {totals}
        FROM contacts_contact c
        LEFT JOIN (
            SELECT ci.contact_id, {units}
            FROM contacts_contactitem ci
            JOIN catalogue_item it ON it.id = ci.item_id
            JOIN catalogue_itemcategory cat ON cat.id = it.category_id
            WHERE ci.contact_id IN (SELECT c.id FROM contacts_contact c WHERE {only.sql})
            GROUP BY ci.contact_id
        ) i ON i.contact_id = c.id
        WHERE {only.sql} AND {_client_is(anonymous)}
        GROUP BY c.org_id, c.site_id, c.channel, c.client_id, c.date
        ON CONFLICT ({_conflict_key(_KEY, anonymous)}) WHERE {_client_is(anonymous, "")}
        DO UPDATE SET {_adding(_SUMS, ContactDay)}
    """  # noqa: S608 — only column and table names are interpolated
    params: list[int | str] = [*UNIT_COLUMNS.keys(), *only.params, *only.params]
    return sql, params


def _services_sql(only: _Filter, *, anonymous: bool) -> tuple[str, list[int | str]]:
    key = [*_KEY, "service_type_id"]
    columns = ["org_id", *key, "month", "contacts"]
    sql = f"""
        INSERT INTO {_table(ServiceDay)} ({", ".join(columns)})
        SELECT c.org_id, c.site_id, c.channel, c.client_id, c.date, s.service_type_id,
               {month_sql("c.date")}, COUNT(*)
        FROM contacts_contactservice s
        JOIN contacts_contact c ON c.id = s.contact_id
        WHERE {only.sql} AND {_client_is(anonymous)}
        GROUP BY c.org_id, c.site_id, c.channel, c.client_id, c.date, s.service_type_id
        ON CONFLICT ({_conflict_key(key, anonymous)}) WHERE {_client_is(anonymous, "")}
        DO UPDATE SET {_adding(["contacts"], ServiceDay)}
    """  # noqa: S608 — only column and table names are interpolated
    return sql, [*only.params]


def _client_is(anonymous: bool, alias: str = "c.") -> str:
    return f"{alias}client_id IS {'' if anonymous else 'NOT '}NULL"


def _conflict_key(key: Sequence[str], anonymous: bool) -> str:
    return ", ".join(column for column in key if not (anonymous and column == "client_id"))


def _adding(columns: Sequence[str], model: type[ContactDay] | type[ServiceDay]) -> str:
    table = _table(model)
    return ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns)


def month_sql(column: str) -> str:
    """The first day of the month of a date column, as SQL."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _table(model: type[ContactDay] | type[ServiceDay]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
