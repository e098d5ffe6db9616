"""B8: a year of one organisation's item lines as CSV and XLSX, streamed.

Outpost has no item-line export yet; this is the one its house style
gives (the audit export's pattern): an ORM ``values_list(...).iterator()``
fed through ``csv.writer`` and ``text_safe`` into a ``StreamingHttpResponse``
(byte order mark first, for Excel), and an openpyxl *write-only* workbook
that holds one row at a time. Both are consumed here as a client would,
counting bytes. The largest organisation's last complete month and year.

Peers: PostgreSQL's ``COPY (SELECT …) TO STDOUT`` on PostgreSQL; on SQLite,
which has no COPY, the same SELECT on a raw cursor through ``csv.writer``.
Every data line must be identical across them (hashed in order); peak
memory must not grow with the size of the export.
"""

import csv
import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.http import StreamingHttpResponse
from openpyxl import Workbook

from bench.context import Context
from bench.harness import DIAGNOSTIC, OUTPOST, Case, measure, same_answer
from outpost.contacts.models import ContactItem
from outpost.core.lib.spreadsheets import BYTE_ORDER_MARK, text_safe
from outpost.core.periods import Period

CHUNK = 2000
HEADER = ["date", "site", "client", "channel", "item", "quantity"]
COLUMNS = (
    "contact__date",
    "contact__site__name",
    "contact__client__code",
    "contact__channel",
    "item__name",
    "quantity",
)
# An XLSX sheet holds at most this many rows; a longer export goes on.
SHEET_ROWS = 1_048_576
XLSX_REPEAT_LINES = 100_000


@dataclass(frozen=True)
class Output:
    """What an export produced: its data lines, their hash in order, and its size."""

    lines: int
    digest: str
    size: int = field(compare=False)


class _Echo:
    def write(self, value: str) -> str:
        return value


class _Lines:
    """Hash data lines in order, whatever their line ending."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.lines = 0
        self.size = 0
        self.pending = b""

    def feed(self, block: bytes) -> None:
        self.size += len(block)
        data = self.pending + block
        *complete, self.pending = data.split(b"\n")
        for line in complete:
            self.hash.update(line.rstrip(b"\r") + b"\n")
            self.lines += 1

    def output(self) -> Output:
        if self.pending:
            self.feed(b"\n")
        return Output(self.lines, self.hash.hexdigest(), self.size)


def run(ctx: Context) -> list[Case]:
    cases = []
    for label, period in (("a month", ctx.month), ("a year", ctx.year)):
        cases.append(_case(ctx, label, period))
    _flat_memory(cases)
    return cases


def _case(ctx: Context, label: str, period: Period) -> Case:
    org = ctx.largest_org
    case = Case("B8", f"item lines of {label}, largest organisation, CSV and XLSX")
    expected = measure(
        case,
        "outpost CSV, streamed",
        lambda: outpost_csv(org, period),
        repeat=ctx.repeat,
        role=OUTPOST,
    )
    if connection.vendor == "postgresql":
        peer = "PostgreSQL COPY"
        got = measure(case, peer, lambda: copy_csv(org, period), repeat=ctx.repeat)
    else:
        peer = "raw cursor + csv.writer"
        got = measure(case, peer, lambda: cursor_csv(org, period), repeat=ctx.repeat)
    same_answer(case, peer, expected, got)
    # openpyxl writes some 10,000 rows a second: a large workbook is
    # timed once, beside its traced run, and has no peer to be a ratio of.
    xlsx_repeat = ctx.repeat if expected.lines <= XLSX_REPEAT_LINES else 1
    rows = measure(
        case,
        "outpost XLSX, write-only",
        lambda: outpost_xlsx(org, period, ctx.workdir / "export.xlsx"),
        repeat=xlsx_repeat,
        role=DIAGNOSTIC,
    )
    case.check(
        "the XLSX has every line",
        rows == expected.lines,
        f"{rows} rows, {expected.lines} CSV lines",
    )
    case.notes.append(f"{expected.lines:,} lines, CSV {expected.size / 2**20:.1f} MiB")
    mine, floor = case.get("outpost CSV, streamed").median, case.get(peer).median
    if connection.vendor == "postgresql":
        case.target("CSV ≤ 3 × PostgreSQL COPY", mine <= 3 * floor, f"{mine / floor:.1f} ×")
    return case


def _flat_memory(cases: list[Case]) -> None:
    month, year = cases
    for name in ("outpost CSV, streamed", "outpost XLSX, write-only"):
        small, large = month.get(name).peak_bytes, year.get(name).peak_bytes
        year.target(
            f"memory flat: {name}",
            large <= 2 * small + 2**20,
            f"peak {small / 2**20:.1f} MiB for a month, {large / 2**20:.1f} MiB for a year",
        )


def _lines(org_id: int, period: Period) -> Iterator[tuple[object, ...]]:
    return (
        ContactItem.objects.filter(
            contact__org_id=org_id, contact__date__range=(period.first, period.last)
        )
        .order_by("contact__date", "contact_id", "pk")
        .values_list(*COLUMNS)
        .iterator(chunk_size=CHUNK)
    )


def _csv_rows(rows: Iterable[tuple[object, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow(HEADER)
    for row in rows:
        yield writer.writerow(["" if value is None else text_safe(value) for value in row])


def outpost_csv(org_id: int, period: Period) -> Output:
    response = StreamingHttpResponse(
        _csv_rows(_lines(org_id, period)), content_type="text/csv; charset=utf-8"
    )
    lines = _Lines()
    first = True
    for block in response:
        if first:
            # The byte order mark and the header are not data.
            first = False
            lines.size += len(block)
            continue
        lines.feed(block)
    return lines.output()


def _select(org_id: int, period: Period) -> str:
    return f"""
        SELECT c.date, s.name, cl.code, c.channel, it.name, ci.quantity
        FROM contacts_contactitem ci
        JOIN contacts_contact c ON c.id = ci.contact_id
        JOIN orgs_site s ON s.id = c.site_id
        LEFT JOIN clients_client cl ON cl.id = c.client_id
        JOIN catalogue_item it ON it.id = ci.item_id
        WHERE c.org_id = {int(org_id)}
          AND c.date BETWEEN '{period.first.isoformat()}' AND '{period.last.isoformat()}'
        ORDER BY c.date, ci.contact_id, ci.id
    """  # noqa: S608 — an integer and two dates


def copy_csv(org_id: int, period: Period) -> Output:
    lines = _Lines()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY ({_select(org_id, period)}) TO STDOUT WITH (FORMAT csv)"
        ) as copy:
            for block in copy:
                lines.feed(bytes(block))
    return lines.output()


def cursor_csv(org_id: int, period: Period) -> Output:
    lines = _Lines()
    writer = csv.writer(_Echo())
    with connection.cursor() as cursor:
        cursor.execute(_select(org_id, period))
        while rows := cursor.fetchmany(CHUNK):
            for row in rows:
                lines.feed(writer.writerow(["" if v is None else v for v in row]).encode())
    return lines.output()


def outpost_xlsx(org_id: int, period: Period, path: Path) -> int:
    """Write the workbook row by row; returns the data rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Item lines")
    sheet.append(HEADER)
    written, in_sheet = 0, 1
    for row in _lines(org_id, period):
        if in_sheet == SHEET_ROWS:
            sheet = workbook.create_sheet(f"Item lines {written // (SHEET_ROWS - 1) + 1}")
            sheet.append(HEADER)
            in_sheet = 1
        sheet.append([_cell(value) for value in row])
        written += 1
        in_sheet += 1
    workbook.save(path)
    return written


def _cell(value: object) -> object:
    if isinstance(value, datetime.date) or value is None:
        return value
    return text_safe(value)
