"""The indicator report as files: CSV for programs, XLSX for people.

Both carry ``output.table``, the rows the page shows. The CSV is that table
alone, so a program can read it; the XLSX starts with what the report
covers (organisation, period, sites, splits, small numbers) and keeps
numbers as numbers.
"""

import io
from collections.abc import Sequence

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from outpost.core.lib.spreadsheets import csv_bytes, keep_text
from outpost.reports import definitions as d
from outpost.reports.indicators import Report
from outpost.reports.output import PERCENT_MEASURES, rows, table

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Indicator, measure, donor codes, then a column per split, value, definition.
FIXED_WIDTHS = (24, 36, 16)
SPLIT_WIDTH = 18
VALUE_WIDTH = 12
DEFINITION_WIDTH = 90

About = Sequence[tuple[str, str]]


def csv_file(report: Report, *, outside: bool) -> bytes:
    """The table as UTF-8 CSV, safe to open in a spreadsheet."""
    return csv_bytes(table(report, outside=outside))


def xlsx_file(report: Report, *, outside: bool, title: str, about: About) -> bytes:
    """A sheet: the title, what the report covers, then the table."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  # a new workbook has one sheet
    sheet.title = _("Indicators")[:31]
    bold = Font(bold=True)
    sheet.append([title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    for label, value in about:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([])
    header, *body = table(report, outside=outside)
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    value_column = len(header) - 1
    for values, row in zip(body, rows(report, outside=outside), strict=True):
        sheet.append(values)
        value_cell = sheet.cell(row=sheet.max_row, column=value_column)
        value_cell.number_format = _number_format(row.figure.measure)
    keep_text(sheet)
    _set_widths(sheet, len(report.by))
    for line in sheet.iter_rows(min_row=header_row + 1, min_col=len(header)):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = f"C{header_row + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number_format(measure: d.Measure) -> str:
    if measure.kind != d.RATIO:
        return "0"
    return "0.0%" if measure.id in PERCENT_MEASURES else "0.00"


def _set_widths(sheet: Worksheet, splits: int) -> None:
    widths = [*FIXED_WIDTHS, *[SPLIT_WIDTH] * splits, VALUE_WIDTH, DEFINITION_WIDTH]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
