"""HIV tests and referrals, counted in the database, cell by cell.

A national year holds hundreds of thousands of tests; reading each one into
Python to find its cells costs more than the rest of the report. One
statement per set of splits, and another for the total (its own distinct
count, SPEC §3.3), gives each cell's clients tested for HIV who know the
result, referrals made and referrals completed. The database finds each
tested or referred client's first contact in the period for the age band
(per month when split by month), falling back to the day of the test or
referral for a client with no contact in it, and fans a client out to each
of their population groups. Only the cells come back.

The SQL is written by hand, as in ``reports.cells`` whose pieces it shares,
because the ORM can join neither a union of two tables nor a grouped
subquery of the day summaries. Nothing typed by a person reaches it: it is
built from integers, dates formatted there, fixed column names and the
choice values of the code, and runs without parameters.
"""

import re
from collections import Counter
from collections.abc import Sequence

from outpost.contacts.summaries import month_sql
from outpost.core.periods import Period
from outpost.reports import cells
from outpost.reports import definitions as d
from outpost.testing.models import Disease, Referral, Result

EVENT_MEASURES = ("hiv_tested", "referrals", "referrals.completed")
# Referrals have no channel: split by channel, they give a total only.
REFERRAL_SPLITS = d.MEASURES_BY_ID["referrals"].splits


def event_cells(
    org_ids: Sequence[int],
    site_ids: Sequence[int] | None,
    period: Period,
    by: Sequence[str],
) -> cells.Cells:
    """Each cell's tests and referrals, and the total under the key ``()``."""
    found: cells.Cells = {}
    for dims in cells.with_total(by):
        sql = _event_sql(org_ids, site_ids, period, dims)
        for row in cells.fetch(sql):
            values = [cells.as_int(value) for value in row[len(dims) :]]
            found[cells.cell_key(dims, row)] = Counter(
                dict(zip(EVENT_MEASURES, values, strict=True))
            )
    return found


def _event_sql(
    org_ids: Sequence[int], site_ids: Sequence[int] | None, period: Period, dims: Sequence[str]
) -> str:
    # The events of the cells: one row a test, one a referral.
    events = [_tests_sql(org_ids, site_ids, period, d.CHANNEL in dims)]
    if REFERRAL_SPLITS.issuperset(dims):
        events.append(_referrals_sql(org_ids, site_ids, period))
    parts = [f"events AS ({' UNION ALL '.join(events)})"]
    joins = []
    if any(dim not in cells.ROW_COLUMNS for dim in dims):
        joins.append("JOIN clients_client cl ON cl.id = e.client_id")
    if cells.by_age(dims):
        parts.append(_firsts_sql(org_ids, site_ids, period, d.MONTH in dims))
        month = " AND f.month = e.month" if d.MONTH in dims else ""
        joins.append(f"LEFT JOIN firsts f ON f.client_id = e.client_id{month}")
    if d.GROUP in dims:
        joins.append(cells.join_groups("e"))
    selected = [cells.dimension(dim, "e", "COALESCE(f.first_day, e.day)") for dim in dims]
    measures = [
        "COUNT(DISTINCT CASE WHEN e.tested = 1 THEN e.client_id END)",
        "SUM(e.referred)",
        "SUM(e.completed)",
    ]
    return f"""
        WITH {", ".join(parts)}
        SELECT {", ".join([*selected, *measures])}
        FROM events e {" ".join(joins)}
        {cells.group_by(dims)}
    """  # noqa: S608 — integers, dates formatted here, fixed names and choice values only


def _tests_sql(
    org_ids: Sequence[int], site_ids: Sequence[int] | None, period: Period, by_channel: bool
) -> str:
    """HIV tests whose result was given (``TestQuerySet.with_result_given``).

    Their channel is the one of the contact they were recorded in, read
    only when asked for.
    """
    where = cells.in_scope("t", org_ids, site_ids, period.first, period.last, "tested_on")
    results = f"{_choice(Result.REACTIVE)}, {_choice(Result.NON_REACTIVE)}"
    channel, contacts = ("c.channel", "JOIN contacts_contact c ON c.id = t.contact_id")
    if not by_channel:
        channel, contacts = "''", ""
    return f"""
        SELECT t.client_id, t.org_id, t.site_id, {channel} AS channel, t.tested_on AS day,
               {month_sql("t.tested_on")} AS month,
               1 AS tested, 0 AS referred, 0 AS completed
        FROM testing_test t {contacts}
        WHERE {where} AND t.disease = {_choice(Disease.HIV)}
              AND t.result IN ({results}) AND t.result_given
    """  # noqa: S608 — integers, dates formatted here, fixed names and choice values only


def _referrals_sql(org_ids: Sequence[int], site_ids: Sequence[int] | None, period: Period) -> str:
    where = cells.in_scope("r", org_ids, site_ids, period.first, period.last, "issued_on")
    completed = _choice(Referral.Status.COMPLETED)
    return f"""
        SELECT r.client_id, r.org_id, r.site_id, '' AS channel, r.issued_on AS day,
               {month_sql("r.issued_on")} AS month,
               0 AS tested, 1 AS referred, CASE WHEN r.status = {completed} THEN 1 ELSE 0 END
        FROM testing_referral r
        WHERE {where}
    """  # noqa: S608 — integers, dates formatted here, fixed names and choice values only


def _firsts_sql(
    org_ids: Sequence[int], site_ids: Sequence[int] | None, period: Period, by_month: bool
) -> str:
    """Each client's first contact in the period (or in each month of it).

    For every client seen, not only those tested or referred: narrowing it
    down makes PostgreSQL guess the few and look each one up.
    """
    where = cells.in_scope("d", org_ids, site_ids, period.first, period.last)
    month = ", d.month" if by_month else ""
    return f"""firsts AS (
        SELECT d.client_id{month}, MIN(d.date) AS first_day
        FROM contacts_contactday d
        WHERE {where} AND d.client_id IS NOT NULL
        GROUP BY d.client_id{month})"""  # noqa: S608 — integers, dates and fixed names only


def _choice(value: str) -> str:
    """A choice value of the code as an SQL string; they are lower-case words."""
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(f"not a choice value: {value!r}")
    return f"'{value}'"
