"""What every CSV and XLSX export needs so that a spreadsheet reads it safely.

A spreadsheet runs a cell that starts with one of ``FORMULA_STARTS`` as a
formula (OWASP "CSV injection"); names, codes and notes typed by staff must
stay text. Excel reads a CSV as UTF-8, Cyrillic included, only after a
byte order mark.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TypeVar

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"

V = TypeVar("V")


def text_safe(value: V) -> V:
    """A string that would run as a formula, with a leading quote that keeps it text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # type: ignore[return-value]  # a str in, a str out
    return value


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as UTF-8 CSV with a byte order mark; None becomes an empty cell."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else text_safe(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def keep_text(sheet: Worksheet) -> None:
    """Store every string as text: openpyxl would store one starting with "=" as a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
