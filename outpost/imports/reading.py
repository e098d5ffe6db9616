"""The rows of an uploaded CSV or XLSX file, as text and dates.

Line numbers are the ones a spreadsheet shows: the header is line 1 and
every record after it counts, empty ones too, so an error's line is the
row to look at in the file.
"""

import csv
import datetime
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from outpost.core.errors import DomainError

Cell = str | datetime.date
Row = tuple[int, list[Cell]]

MAX_FILE_BYTES = 50 * 1024 * 1024
CSV = "csv"
XLSX = "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Sheet:
    """The header's cells and the data rows after it, with their line numbers."""

    header: list[str]
    rows: Iterator[Row]


def file_kind(name: str, size: int, head: bytes) -> str:
    """CSV or XLSX, judged by the name and the first bytes; refuse anything else."""
    if size > MAX_FILE_BYTES:
        raise DomainError(
            gettext("The file is larger than %(size)d MB. Split it into smaller files.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx" and head.startswith(_ZIP_MAGIC):
        return XLSX
    if suffix == ".csv" and b"\x00" not in head and not head.startswith(_ZIP_MAGIC):
        return CSV
    raise DomainError(gettext("Only CSV and XLSX (Excel) files can be imported."))


@contextmanager
def open_sheet(path: Path, kind: str) -> Iterator[Sheet]:
    """Open the file's first sheet; a file that cannot be read is a DomainError."""
    opener = _open_xlsx if kind == XLSX else _open_csv
    with ExitStack() as stack:
        with _reading_errors():
            records = _guarded(stack.enter_context(opener(path)))
            header = _header(records)
        yield Sheet(header=header, rows=enumerate(records, 2))


def count_rows(path: Path, kind: str) -> int:
    """How many data rows are not empty."""
    with open_sheet(path, kind) as sheet:
        return sum(1 for _, cells in sheet.rows if not is_empty(cells))


def is_empty(cells: list[Cell]) -> bool:
    return all(cell == "" for cell in cells)


def _header(records: Iterator[list[Cell]]) -> list[str]:
    first = next(records, None)
    if first is None or is_empty(first):
        raise DomainError(gettext("The file is empty: line 1 must hold the column headings."))
    header = [str(cell) for cell in first]
    while header and header[-1] == "":
        header.pop()
    return header


def _guarded(records: Iterator[list[Cell]]) -> Iterator[list[Cell]]:
    # Only reading the file is guarded: errors of whoever consumes the rows
    # are not thrown into this generator.
    with _reading_errors():
        yield from records


@contextmanager
def _reading_errors() -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError:
        raise DomainError(
            gettext("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    except csv.Error as error:
        raise DomainError(
            gettext("The file could not be read as CSV: %(error)s") % {"error": error}
        ) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError):
        raise DomainError(gettext("The file could not be read as an XLSX workbook.")) from None
    except OSError:
        raise DomainError(gettext("The file could not be read.")) from None


@contextmanager
def _open_csv(path: Path) -> Iterator[Iterator[list[Cell]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first_line = handle.readline()
    # Spreadsheets save CSV with ";" where "," is the decimal separator.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        yield ([cell.strip() for cell in record] for record in reader)


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Iterator[list[Cell]]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        yield ([_cell(value) for value in row] for row in sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    # A number typed into a spreadsheet arrives as a float: 5.0 is "5".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
