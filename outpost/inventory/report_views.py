"""The stock report on screen, and the same rows as CSV and XLSX files.

The figures come from ``inventory.reports``; this module only reads the
filters, picks the format and writes the file.
"""

import io

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from outpost.catalogue.models import ItemCategory
from outpost.core.lib.spreadsheets import csv_bytes, keep_text
from outpost.core.roles import Perm
from outpost.inventory.forms import StockReportForm
from outpost.inventory.models import Location
from outpost.inventory.reports import StockReport, stock_report
from outpost.orgs.access import AuthedRequest, requires

FORMATS = ("html", "csv", "xlsx")
BAD_REQUEST = 400
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
@requires(Perm.VIEW_STOCK)
def report(request: AuthedRequest) -> HttpResponse:
    """Stock by period, location and item; ``?format=csv`` or ``xlsx`` downloads it."""
    membership = request.membership
    today = membership.local_today()
    locations = list(Location.objects.filter(org_id=membership.org_id).order_by("name"))
    categories = list(ItemCategory.objects.order_by("code"))
    form = StockReportForm(
        request.GET or None, locations=locations, categories=categories, today=today
    )
    output = request.GET.get("format", "html")
    problem = ""
    if output not in FORMATS:
        problem = _("Unknown format: choose CSV or XLSX.")
    elif form.is_bound and not form.is_valid():
        problem = _("The report could not be made: correct the filters below.")
    if problem:
        context = {"form": form, "problem": problem}
        return TemplateResponse(
            request, "inventory/stock_report.html", context, status=BAD_REQUEST
        )
    period, chosen, category = form.report_scope()
    result = stock_report(
        locations=chosen,
        period=period,
        today=today,
        category_id=None if category is None else category.pk,
    )
    title = _("%(org)s: stock report, %(start)s – %(end)s") % {
        "org": membership.org.name,
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
    }
    filename = f"stock-report-{period.first.isoformat()}-{period.last.isoformat()}"
    if output == "csv":
        return _csv(result, title=title, filename=f"{filename}.csv")
    if output == "xlsx":
        return _xlsx(result, title=title, filename=f"{filename}.xlsx")
    return TemplateResponse(
        request,
        "inventory/stock_report.html",
        {
            "form": form,
            "title": title,
            "report": result,
            **_screen(result),
            "chosen": chosen,
            "category": category,
            "csv_query": _query(request, "csv"),
            "xlsx_query": _query(request, "xlsx"),
        },
    )


def _screen(result: StockReport) -> dict[str, object]:
    columns = result.columns()
    cells = result.table()
    lines = [
        (row, list(zip(columns, values, strict=True)))
        for row, values in zip(result.rows, cells, strict=True)
    ]
    now = sum(1 for column in columns if column.now)
    return {
        "columns": columns,
        "lines": lines,
        "period_span": len(columns) - now,
        "now_span": now,
    }


def _query(request: AuthedRequest, output: str) -> str:
    query = request.GET.copy()
    query["format"] = output
    return query.urlencode()


def _csv(result: StockReport, *, title: str, filename: str) -> HttpResponse:
    content = csv_bytes([[title], result.header(), *result.table()])
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx(result: StockReport, *, title: str, filename: str) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  # a new workbook has one sheet
    sheet.title = _("Stock report")[:31]
    bold = Font(bold=True)
    sheet.append([title])
    sheet["A1"].font = bold
    sheet.append(result.header())
    for cell in sheet[2]:
        cell.font = bold
    for values in result.table():
        sheet.append(values)
    keep_text(sheet)
    sheet.freeze_panes = "D3"
    for letter, width in (("A", 28), ("B", 20), ("C", 24)):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
