"""The contact measures and continuity, counted in the database, cell by cell.

One statement per set of splits gives every cell's sums and distinct counts
(clients reached, new, with naloxone, reached with the package); another
the total, which is its own distinct count (SPEC §3.3). The database does
the work that grows with the data: grouping the day summaries by client and
by the splits, taking each client's first contact in the period for the age
band, and counting distinct clients. Only the cells come back.

The SQL is written by hand because the ORM can neither group over a
subquery (each client's sums per cell come first, then the cells) nor join
on a common table expression. Nothing typed by a person reaches it: it is
built from integers, dates formatted here and fixed column names, and runs
without parameters, the same text on SQLite and PostgreSQL except for the
few date expressions chosen by ``connection.vendor``.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection

from outpost.contacts.summaries import UNIT_COLUMNS, month_sql
from outpost.core.periods import Period
from outpost.reports import definitions as d
from outpost.reports.package import Rule

Key = tuple[str, ...]
Cells = dict[Key, Counter[str]]
NO_GROUP = "none"
UNKNOWN = ""

ROW_COLUMNS = {d.CHANNEL: "channel", d.SITE: "site_id", d.ORG: "org_id", d.MONTH: "month"}
FINE_BANDS = (
    (10, "<10"),
    (15, "10–14"),
    (20, "15–19"),
    (25, "20–24"),
    (30, "25–29"),
    (40, "30–39"),
    (50, "40–49"),
)
CONTACT_MEASURES = (
    "contacts",
    "syringes_returned",
    "syringes",
    "needles",
    "naloxone",
    "condoms",
    "clients_reached",
    "clients_new",
    "naloxone.recipients",
    "package_reached",
)


def contact_cells(
    org_ids: Sequence[int],
    site_ids: Sequence[int] | None,
    period: Period,
    by: Sequence[str],
    rules: dict[int, Rule],
) -> Cells:
    """Each cell's contact measures, and the total under the key ``()``."""
    where = in_scope("d", org_ids, site_ids, period.first, period.last)
    cells: Cells = {}
    for dims in with_total(by):
        sql = _contact_sql(where, org_ids, site_ids, period, dims, rules)
        for row in fetch(sql):
            values = [as_int(value) for value in row[len(dims) :]]
            cells[cell_key(dims, row)] = Counter(dict(zip(CONTACT_MEASURES, values, strict=True)))
    return cells


def continuity_cells(
    org_ids: Sequence[int],
    site_ids: Sequence[int] | None,
    period: Period,
    by: Sequence[str],
    cohort_days: int,
) -> Cells:
    """Of the clients seen in the ``cohort_days`` before the period, those seen in it.

    Split by place, a client is kept in a cell when seen again in that cell;
    the total keeps a client seen anywhere. Their age is taken on the
    period's first day, since the clients lost have no contact in it.
    """
    before = period.first - datetime.timedelta(days=1)
    cohort = in_scope(
        "d", org_ids, site_ids, period.first - datetime.timedelta(cohort_days), before
    )
    seen = in_scope("d", org_ids, site_ids, period.first, period.last)
    cells: Cells = {}
    for dims in with_total(by):
        for row in fetch(_continuity_sql(cohort, seen, period.first, dims)):
            cohort_count, kept = row[len(dims) :]
            cells[cell_key(dims, row)] = Counter(
                {"cohort": as_int(cohort_count), "kept": as_int(kept)}
            )
    return cells


def with_total(by: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(by), ()] if by else [()]


def cell_key(dims: Sequence[str], row: Sequence[object]) -> Key:
    return tuple(
        str(value)[:7] if dim == d.MONTH else str(value)
        for dim, value in zip(dims, row, strict=False)
    )


def as_int(value: object) -> int:
    """A count as an int: PostgreSQL sums bigints as numerics, and no rows as NULL."""
    return int(value) if isinstance(value, int | Decimal) else 0


def fetch(sql: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


# The contact statement ---------------------------------------------------


def _contact_sql(
    where: str,
    org_ids: Sequence[int],
    site_ids: Sequence[int] | None,
    period: Period,
    dims: Sequence[str],
    rules: dict[int, Rule],
) -> str:
    row_columns = _row_columns(dims, always=("org_id",))
    # A client belongs to one organisation, and so do all their contacts:
    # with one organisation, or split by organisation, a client is in at
    # most one row of a cell, and counting rows is a distinct count that
    # needs no sorting.
    one_row_each = len(org_ids) == 1 or d.ORG in dims
    count = "COUNT({})" if one_row_each else "COUNT(DISTINCT {})"
    # Rows of one client and month at most: their own first day is the
    # client's first contact in the bucket, with no second grouping.
    own_first = one_row_each and set(row_columns) <= {"org_id", "month"}
    item_sets = sorted({codes for rule in rules.values() for codes, _ in rule.items}, key=sorted)
    services = sorted({pk for rule in rules.values() for pk in rule.services})
    package_sums = "".join(
        f", SUM({_units('d', codes)}) AS items{index}" for index, codes in enumerate(item_sets)
    )
    parts = [
        f"""rows AS (
            SELECT d.client_id, {_list("d", row_columns)}, MIN(d.date) AS first_day,
                   SUM(d.contacts) AS contacts, SUM(d.syringes_returned) AS returned,
                   SUM(d.units_syringe) AS syringes, SUM(d.units_needle) AS needles,
                   SUM(d.units_naloxone) AS naloxone, SUM(d.units_condom) AS condoms
                   {package_sums}
            FROM contacts_contactday d WHERE {where}
            GROUP BY d.client_id, {_list("d", row_columns)})"""  # noqa: S608
    ]
    bucket = ["month"] if d.MONTH in dims else []
    if by_age(dims) and not own_first:
        parts.append(
            f"""firsts AS (
            SELECT client_id, {_list("", bucket, "0 AS no_bucket")}, MIN(first_day) AS first_day
            FROM rows WHERE client_id IS NOT NULL GROUP BY client_id {_list(",", bucket)})"""  # noqa: S608
        )
    if services:
        flags = ", ".join(
            f"MAX(CASE WHEN s.service_type_id = {int(pk)} THEN 1 ELSE 0 END) AS service{int(pk)}"
            for pk in services
        )
        service_where = in_scope("s", org_ids, site_ids, period.first, period.last)
        parts.append(
            f"""services AS (
            SELECT s.client_id, {_list("s", row_columns)}, {flags}
            FROM contacts_serviceday s WHERE {service_where} AND s.client_id IS NOT NULL
                 AND s.service_type_id IN ({_ints(services)})
            GROUP BY s.client_id, {_list("s", row_columns)})"""  # noqa: S608
        )
    joins = ["LEFT JOIN clients_client cl ON cl.id = r.client_id"]
    if by_age(dims) and not own_first:
        joins.append(f"LEFT JOIN firsts f ON f.client_id = r.client_id {_on('f', 'r', bucket)}")
    if services:
        joins.append(
            f"LEFT JOIN services sv ON sv.client_id = r.client_id {_on('sv', 'r', row_columns)}"
        )
    if d.GROUP in dims:
        joins.append(join_groups("r"))
    new = f"cl.first_contact_date BETWEEN {_date(period.first)} AND {_date(period.last)}"
    if d.MONTH in dims:
        new += f" AND {month_sql('cl.first_contact_date')} = r.month"
    package = _package_condition(rules, item_sets, bool(services))
    selected = [dimension(dim, "r", "r.first_day" if own_first else "f.first_day") for dim in dims]
    measures = [
        "SUM(r.contacts)",
        "SUM(r.returned)",
        "SUM(r.syringes)",
        "SUM(r.needles)",
        "SUM(r.naloxone)",
        "SUM(r.condoms)",
        count.format("r.client_id"),
        count.format(f"CASE WHEN {new} THEN r.client_id END"),
        count.format("CASE WHEN r.naloxone > 0 THEN r.client_id END"),
        count.format(f"CASE WHEN r.client_id IS NOT NULL AND ({package}) THEN r.client_id END"),
    ]
    return f"""
        WITH {", ".join(parts)}
        SELECT {", ".join([*selected, *measures])}
        FROM rows r {" ".join(joins)}
        {group_by(dims)}
    """  # noqa: S608 — integers, dates formatted here and fixed names only


def _package_condition(
    rules: dict[int, Rule], item_sets: list[frozenset[str]], services: bool
) -> str:
    """Whether the client's sums in the cell meet their organisation's package."""
    alternatives = []
    for org_id, rule in sorted(rules.items()):
        needs = [f"r.org_id = {int(org_id)}"]
        needs += [f"r.items{item_sets.index(codes)} >= {int(n)}" for codes, n in rule.items]
        if services:
            needs += [f"COALESCE(sv.service{int(pk)}, 0) = 1" for pk in sorted(rule.services)]
        elif rule.services:
            needs.append("1 = 0")
        alternatives.append("(" + " AND ".join(needs) + ")")
    return " OR ".join(alternatives) or "1 = 0"


# The continuity statement --------------------------------------------------


def _continuity_sql(cohort: str, seen: str, first: datetime.date, dims: Sequence[str]) -> str:
    row_columns = _row_columns(dims)
    group_join = join_groups("c") if d.GROUP in dims else ""
    selected = [dimension(dim, "c", _date(first)) for dim in dims]
    counts = ["COUNT(DISTINCT c.client_id)", "COUNT(DISTINCT s.client_id)"]
    return f"""
        WITH cohort AS (
            SELECT DISTINCT d.client_id {_list(",d", row_columns)}
            FROM contacts_contactday d WHERE {cohort} AND d.client_id IS NOT NULL),
        seen AS (
            SELECT DISTINCT d.client_id {_list(",d", row_columns)}
            FROM contacts_contactday d WHERE {seen} AND d.client_id IS NOT NULL)
        SELECT {", ".join([*selected, *counts])}
        FROM cohort c
        LEFT JOIN seen s ON s.client_id = c.client_id {_on("s", "c", row_columns)}
        JOIN clients_client cl ON cl.id = c.client_id {group_join}
        {group_by(dims)}
    """  # noqa: S608 — integers, dates formatted here and fixed names only


# Pieces ----------------------------------------------------------------------


def in_scope(
    alias: str,
    org_ids: Sequence[int],
    site_ids: Sequence[int] | None,
    first: datetime.date,
    last: datetime.date,
    date_column: str = "date",
) -> str:
    """The rows of the scope's organisations (and sites) dated from ``first`` to ``last``."""
    clauses = [f"{alias}.org_id IN ({_ints(org_ids)})"]
    if site_ids is not None:
        clauses.append(f"{alias}.site_id IN ({_ints(site_ids)})")
    clauses.append(f"{alias}.{date_column} BETWEEN {_date(first)} AND {_date(last)}")
    return " AND ".join(clauses)


def _row_columns(dims: Sequence[str], always: Sequence[str] = ()) -> list[str]:
    columns = [ROW_COLUMNS[dim] for dim in dims if dim in ROW_COLUMNS]
    return [*always, *(column for column in columns if column not in always)]


def by_age(dims: Sequence[str]) -> bool:
    return d.AGE_BAND in dims or d.AGE_BAND_FINE in dims


def dimension(dim: str, rows: str, first_day: str) -> str:
    """The SQL that gives a cell's value of one split, "" where it is not recorded."""
    if dim in ROW_COLUMNS:
        return f"{rows}.{ROW_COLUMNS[dim]}"
    if dim == d.SEX:
        return "COALESCE(cl.sex, '')"
    if dim == d.GROUP:
        group = connection.ops.quote_name("group")
        return f"CASE WHEN cl.id IS NULL THEN '' ELSE COALESCE(g.{group}, '{NO_GROUP}') END"
    age = _age(first_day, "cl.birth_date")
    if dim == d.AGE_BAND:
        return f"CASE WHEN cl.id IS NULL THEN '' WHEN {age} < 25 THEN '<25' ELSE '25+' END"
    bands = " ".join(f"WHEN {age} < {below} THEN '{band}'" for below, band in FINE_BANDS)
    return f"CASE WHEN cl.id IS NULL THEN '' {bands} ELSE '50+' END"


def join_groups(rows: str) -> str:
    return f"LEFT JOIN clients_clientgroup g ON g.client_id = {rows}.client_id"


def group_by(dims: Sequence[str]) -> str:
    # By position, so the split expressions are not written twice.
    return "GROUP BY " + ", ".join(str(n) for n in range(1, len(dims) + 1)) if dims else ""


def _age(day: str, birth: str) -> str:
    """Whole years from ``birth`` to ``day``, both SQL date expressions."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM AGE({day}, {birth})) AS INTEGER)"
    digits = "CAST(strftime('%Y%m%d', {}) AS INTEGER)"
    return f"(({digits.format(day)} - {digits.format(birth)}) / 10000)"


def _date(day: datetime.date) -> str:
    text = f"'{day.isoformat()}'"
    return f"DATE {text}" if connection.vendor == "postgresql" else text


def _units(alias: str, codes: Iterable[str]) -> str:
    columns = [f"{alias}.{UNIT_COLUMNS[code]}" for code in sorted(codes) if code in UNIT_COLUMNS]
    return " + ".join(columns) or "0"


def _ints(values: Iterable[int]) -> str:
    return ", ".join(str(int(value)) for value in values) or "NULL"


def _list(prefix: str, columns: Sequence[str], empty: str = "") -> str:
    """Columns as "a.x, a.y"; ``prefix`` "," adds a leading comma; "" leaves names bare."""
    if not columns:
        return empty
    if prefix == ",":
        return ", " + ", ".join(columns)
    if prefix.startswith(","):
        alias = prefix[1:]
        return ", " + ", ".join(f"{alias}.{column}" for column in columns)
    if not prefix:
        return ", ".join(columns)
    return ", ".join(f"{prefix}.{column}" for column in columns)


def _on(left: str, right: str, columns: Sequence[str]) -> str:
    return "".join(f" AND {left}.{column} = {right}.{column}" for column in columns)
