"""B3: period indicators that do not add up, for a quarter and a year.

Unique clients reached, clients reached with the default package (SPEC
§3.2: at least one syringe or needle, one condom, and counselling), new
clients (first contact ever in the period), and, across organisations by
network key, the people reached and those seen by more than one.

Outpost answers with ``compute_report`` (these measures, no splits) and
``network_figures`` for a network of every organisation, made for the run
inside a transaction that is rolled back. Network figures pass the
small-numbers rule; a figure it hides is reported, not compared.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from bench.context import Context
from bench.harness import Case, measure, measure_or_cancelled, same_answer
from bench.peers import raw_export
from outpost.core.periods import Period
from outpost.reports.indicators import compute_report, scope_of
from outpost.reports.models import Network, Package
from outpost.reports.network import network_figures

MEASURES = ("clients_reached", "package_reached", "clients_new")
Answer = dict[str, int | None]


def run(ctx: Context) -> list[Case]:
    if Package.objects.exists():
        raise RuntimeError("The peers compute the default package only; this data saves one.")
    case = Case("B3", "quarter and year: reached, package, new; network reach and overlap")
    expected = measure_or_cancelled(
        case,
        "outpost compute_report + network",
        lambda: outpost(ctx),
        repeat=ctx.repeat,
        limit=ctx.statement_limit,
    )
    raw_export(ctx).duck()
    got = measure(case, "duckdb on raw rows", lambda: duckdb_answer(ctx), repeat=ctx.repeat)
    if expected is None:
        case.target("≤ 2 s (at L)", False, "did not finish")
        case.notes.append("DuckDB: " + ", ".join(f"{k} {v}" for k, v in got.items()))
        return [case]
    hidden = [key for key, value in expected.items() if value is None]
    same_answer(
        case,
        "duckdb on raw rows",
        _shown(expected),
        {k: v for k, v in got.items() if k not in hidden},
    )
    case.notes.append(
        f"quarter {ctx.quarter.first} – {ctx.quarter.last}, year {ctx.year.first} – "
        f"{ctx.year.last}; " + ", ".join(f"{k} {v}" for k, v in expected.items())
    )
    if hidden:
        case.notes.append(f"hidden by the small-numbers rule, not compared: {', '.join(hidden)}")
    mine = case.get("outpost compute_report + network").median
    duck = case.get("duckdb on raw rows").median
    case.target("≤ 2 s (at L)", mine <= 2.0, f"{mine:.2f} s")
    case.target("≤ 3 × DuckDB", mine <= 3 * duck, f"{mine / duck:.1f} × DuckDB")
    return [case]


def _shown(answer: Answer) -> Answer:
    return {key: value for key, value in answer.items() if value is not None}


@contextmanager
def _network(ctx: Context) -> Iterator[Network]:
    with transaction.atomic():
        network = Network.objects.create(name="Benchmark", slug="benchmark-everyone")
        network.members.set(ctx.org_ids)
        yield network
        transaction.set_rollback(True)


def outpost(ctx: Context) -> Answer:
    answer: Answer = {}
    scope = scope_of(ctx.org_ids)
    for label, period in (("quarter", ctx.quarter), ("year", ctx.year)):
        report = compute_report(scope, period, (), MEASURES)
        for figure in report.figures:
            if figure.measure.id in MEASURES:
                answer[f"{label} {figure.measure.id}"] = int(figure.total or 0)
    with _network(ctx) as network:
        figures = network_figures(network, ctx.year, ctx.largest_org)
    answer["year network reached"] = figures.reached if isinstance(figures.reached, int) else None
    several = figures.seen_by_several
    answer["year network seen by several"] = several if isinstance(several, int) else None
    return answer


def duckdb_answer(ctx: Context) -> Answer:
    duck = raw_export(ctx).duck()
    answer: Answer = {}
    for label, period in (("quarter", ctx.quarter), ("year", ctx.year)):
        for measure_id, sql in _duck_sql(period).items():
            row = duck.execute(sql).fetchone()
            answer[f"{label} {measure_id}"] = int(row[0]) if row else 0
    reached, several = duck.execute(_network_sql(ctx.year)).fetchone() or (0, 0)
    answer["year network reached"] = int(reached)
    answer["year network seen by several"] = int(several)
    return answer


def _in(period: Period) -> str:
    return f"date BETWEEN DATE '{period.first.isoformat()}' AND DATE '{period.last.isoformat()}'"


def _duck_sql(period: Period) -> dict[str, str]:
    # Only dates are put into these statements, and they run on DuckDB.
    seen = f"SELECT id, client_id FROM contacts WHERE client_id IS NOT NULL AND {_in(period)}"  # noqa: S608
    return {
        "clients_reached": (
            "SELECT COUNT(DISTINCT client_id) FROM contacts "  # noqa: S608
            f"WHERE client_id IS NOT NULL AND {_in(period)}"
        ),
        "package_reached": f"""
            WITH seen AS ({seen}),
            units AS (
                SELECT seen.client_id,
                       SUM(CASE WHEN cat.code IN ('syringe', 'needle') THEN ci.quantity
                           ELSE 0 END) AS injecting,
                       SUM(CASE WHEN cat.code = 'condom' THEN ci.quantity ELSE 0 END) AS condoms
                FROM seen
                JOIN contact_items ci ON ci.contact_id = seen.id
                JOIN items it ON it.id = ci.item_id
                JOIN categories cat ON cat.id = it.category_id
                GROUP BY seen.client_id
            ),
            counselled AS (
                SELECT DISTINCT seen.client_id FROM seen
                JOIN contact_services s ON s.contact_id = seen.id
                JOIN service_types st ON st.id = s.service_type_id
                WHERE st.code = 'counselling'
            )
            SELECT COUNT(*) FROM units JOIN counselled USING (client_id)
            WHERE injecting >= 1 AND condoms >= 1
        """,  # noqa: S608
        "clients_new": f"""
            SELECT COUNT(*) FROM (
                SELECT client_id, MIN(date) AS first_day FROM contacts
                WHERE client_id IS NOT NULL GROUP BY client_id
            ) WHERE first_day BETWEEN DATE '{period.first.isoformat()}'
                AND DATE '{period.last.isoformat()}'
        """,  # noqa: S608
    }


def _network_sql(period: Period) -> str:
    return f"""
        WITH people AS (
            SELECT cl.network_key, COUNT(DISTINCT c.org_id) AS orgs
            FROM contacts c JOIN clients cl ON cl.id = c.client_id
            WHERE {_in(period).replace("date", "c.date", 1)}
            GROUP BY cl.network_key
        )
        SELECT COUNT(*), COUNT(*) FILTER (WHERE orgs > 1) FROM people
    """  # noqa: S608 — dates only
