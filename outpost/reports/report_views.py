"""The indicator report: a page, the same figures as CSV and XLSX, a print view.

The filters come from the query string (``forms.ReportForm``), the figures
from ``indicators.compute_report`` for the person's own organisation, and
what may be shown from ``output``, so the page, the files and the print view
cannot differ. A report for use outside the organisation hides counts from
1 to 9 (SPEC §3.4).
"""

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from outpost.core.audit import audit
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.models import Site
from outpost.reports import definitions as d
from outpost.reports.charts import Chart, Number, Series
from outpost.reports.exports import CSV_TYPE, XLSX_TYPE, csv_file, xlsx_file
from outpost.reports.forms import ReportChoice, ReportForm
from outpost.reports.indicators import TOTAL, Figure, Key, Report, compute_report, scope_of
from outpost.reports.output import donor_codes, figure_text, key_text, value_labels

# Unprocessable Content: the filters came back with errors.
INVALID = 422
FORMATS = ("csv", "xlsx")
# Beyond this many cells a measure lists them one per row, so a phone
# never has to scroll sideways through dozens of columns.
MOST_COLUMNS = 6


@dataclass(frozen=True)
class Line:
    """One measure as shown: its total and each cell as (heading, value)."""

    measure: d.Measure
    total: str
    cells: list[tuple[str, str]]
    split: bool
    not_split_by: str


@dataclass(frozen=True)
class Group:
    """The measures of one SPEC indicator, with its donor codes."""

    indicator: str
    codes: list[str]
    lines: list[Line]


@require_GET
@requires(Perm.VIEW_REPORTS)
def report(request: AuthedRequest) -> HttpResponse:
    """The report asked for in the query string; last month when nothing is asked."""
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refused(request, form)
    choice = form.choice()
    context = {"form": form, **_report_context(request, choice)}
    return TemplateResponse(request, "reports/report.html", context)


@require_GET
@requires(Perm.VIEW_REPORTS)
def print_view(request: AuthedRequest) -> HttpResponse:
    """The same report on a page of its own, signed with who printed it and when."""
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refused(request, form)
    context = {
        **_report_context(request, form.choice()),
        "printed_by": request.user.get_username(),
        "printed_at": _local_now(request),
    }
    return TemplateResponse(request, "reports/report_print.html", context)


@require_GET
@requires(Perm.VIEW_REPORTS)
def export(request: AuthedRequest, fmt: str) -> HttpResponse:
    """The report's table as a CSV or XLSX download; each download is audited."""
    if fmt not in FORMATS:
        raise Http404
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return _refused(request, form)
    choice = form.choice()
    computed = _compute(request, choice)
    if fmt == "csv":
        content, content_type = csv_file(computed, outside=choice.outside), CSV_TYPE
    else:
        about = _about(request, choice)
        title = _title(request, choice)
        content = xlsx_file(computed, outside=choice.outside, title=title, about=about)
        content_type = XLSX_TYPE
    org = request.membership.org
    # Whether small numbers were hidden shows in the trail and the file's name.
    verb = "report.exported_outside" if choice.outside else "report.exported"
    audit(actor_id=request.user.pk, org_id=org.pk, verb=verb, target=org)
    response = HttpResponse(content, content_type=content_type)
    mode = "-outside" if choice.outside else ""
    filename = f"outpost-indicators-{choice.name}{mode}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _form(request: AuthedRequest) -> ReportForm:
    membership = request.membership
    sites = Site.objects.for_org(membership.org_id).order_by("name")
    return ReportForm(request.GET or None, sites=list(sites), today=membership.local_today())


def _refused(request: AuthedRequest, form: ReportForm) -> HttpResponse:
    return TemplateResponse(request, "reports/report.html", {"form": form}, status=INVALID)


def _compute(request: AuthedRequest, choice: ReportChoice) -> Report:
    scope = scope_of([request.membership.org_id], choice.site_ids)
    return compute_report(scope, choice.period, choice.by)


def _report_context(request: AuthedRequest, choice: ReportChoice) -> dict[str, object]:
    computed = _compute(request, choice)
    labels = value_labels(computed)
    columns = [key_text(key, computed.by, labels) for key in computed.keys]
    headings = [" · ".join(texts) for texts in columns]
    return {
        "choice": choice,
        "title": _title(request, choice),
        "about": _about(request, choice),
        "groups": _groups(computed, headings, outside=choice.outside),
        "columns": columns,
        "long": len(columns) > MOST_COLUMNS,
        "chart": None if choice.outside else _chart(computed),
        "query": choice.query(),
    }


def _groups(report: Report, headings: Sequence[str], *, outside: bool) -> list[Group]:
    """The figures by SPEC indicator; ``headings`` name the report's cells."""
    codes = donor_codes(report.scope.org_ids, wording=True)
    groups: list[Group] = []
    for figure in report.figures:
        indicator = figure.measure.indicator
        if not groups or groups[-1].indicator != indicator:
            groups.append(Group(indicator, codes.get(indicator, []), []))
        groups[-1].lines.append(_line(report, figure, headings, outside=outside))
    return groups


def _line(report: Report, figure: Figure, headings: Sequence[str], *, outside: bool) -> Line:
    cells = [
        (heading, figure_text(figure, key, outside=outside))
        for heading, key in zip(headings, report.keys, strict=True)
        if figure.split
    ]
    not_split_by = ""
    if report.by and not figure.split:
        splits = figure.measure.splits
        missing = [dim for dim in report.by if dim not in splits] or list(report.by)
        not_split_by = ", ".join(str(d.DIMENSION_NAMES[dim]) for dim in missing)
    return Line(
        measure=figure.measure,
        total=figure_text(figure, TOTAL, outside=outside),
        cells=cells,
        split=figure.split,
        not_split_by=not_split_by,
    )


def _chart(report: Report) -> Chart:
    """Clients reached and contacts by the first split asked, or by month.

    Inside the organisation only: totals by one split, beside a table split
    further, would give back cells hidden as <10.
    """
    dim = report.by[0] if report.by else d.MONTH
    by_dim = report if report.by == (dim,) else compute_report(report.scope, report.period, (dim,))
    labels = value_labels(by_dim)
    figures = {figure.measure.id: figure for figure in by_dim.figures}
    series = [
        Series(
            figures[measure_id].measure.name,
            [_plotted(figures[measure_id], key) for key in by_dim.keys],
        )
        for measure_id in ("clients_reached", "contacts")
    ]
    return Chart(
        id="report-chart",
        title=_("Unique clients reached and contacts, by %(split)s")
        % {"split": str(d.DIMENSION_NAMES[dim]).lower()},
        labels=[" · ".join(key_text(key, by_dim.by, labels)) for key in by_dim.keys],
        series=series,
    )


def _plotted(figure: Figure, key: Key) -> Number:
    value = figure.total if key == TOTAL else figure.cells.get(key)
    return value if isinstance(value, int | float) else None


def _title(request: AuthedRequest, choice: ReportChoice) -> str:
    return _("Indicators: %(org)s, %(period)s") % {
        "org": request.membership.org.name,
        "period": choice.name,
    }


def _about(request: AuthedRequest, choice: ReportChoice) -> list[tuple[str, str]]:
    """What the report covers, as (label, value) lines for the page and the XLSX."""
    period = choice.period
    splits = [str(d.DIMENSION_NAMES[dim]) for dim in choice.by]
    dates = f"{choice.name} ({period.first.isoformat()} – {period.last.isoformat()})"
    if period.last >= request.membership.local_today():
        dates = _("%(dates)s, not over: figures to date") % {"dates": dates}
    return [
        (_("Organisation"), request.membership.org.name),
        (_("Period"), dates),
        (_("Sites"), ", ".join(choice.site_names) or _("All sites of the organisation")),
        (_("Split by"), ", ".join(splits) or _("Nothing: totals only")),
        (
            _("Small numbers"),
            _("Hidden: counts from 1 to 9 show as <10")
            if choice.outside
            else _("Shown: for use inside the organisation only"),
        ),
    ]


def _local_now(request: AuthedRequest) -> str:
    site = request.membership.site
    zone = zoneinfo.ZoneInfo(site.timezone) if site else timezone.get_current_timezone()
    return timezone.localtime(timezone=zone).strftime("%Y-%m-%d %H:%M")
