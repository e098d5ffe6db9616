"""The figures of the reports dashboard: twelve months of trends at a glance.

Three reports feed it, each a fixed number of queries: the twelve months by
month and channel, the same months by month alone (the totals, each month's
own distinct count), and the last complete month for continuity, which a
month split does not take. The HIV cascade of the last three complete months
and the stock at risk are read only for roles that may see them.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outpost.core.choices import Channel
from outpost.core.periods import Period, month_period
from outpost.inventory.forecast import Forecast, forecasts
from outpost.inventory.models import Location
from outpost.reports import definitions as d
from outpost.reports.charts import Chart, Number, Series
from outpost.reports.indicators import TOTAL, Figure, Key, Report, compute_report, scope_of
from outpost.reports.output import number_text, shown
from outpost.testing import cascade

MONTHS = 12
CASCADE_MONTHS = 3
STOCK_SHOWN = 8

# The same channel keeps its colour on every chart (Okabe–Ito colours).
CHANNEL_COLOURS: dict[str, str] = {
    Channel.ROOM: "#0072b2",
    Channel.WINDOW: "#e69f00",
    Channel.MOBILE_UNIT: "#009e73",
    Channel.OUTREACH: "#cc79a7",
    Channel.COURIER: "#56b4e9",
    Channel.PHONE: "#d55e00",
    Channel.MESSENGER: "#8c6d1f",
    Channel.ONLINE: "#6c757d",
}
ALL_CHANNELS_COLOUR = "#1b1b1b"

RETURN_RATE = "syringes_returned.rate"
HEADLINE_MEASURES = ("contacts", "clients_reached", "clients_new", "package_reached", RETURN_RATE)
ITEM_MEASURES = ("syringes", "needles", "naloxone", "condoms")
TOTAL_MEASURES = (*HEADLINE_MEASURES[:4], *ITEM_MEASURES, "syringes_returned", RETURN_RATE)


@dataclass(frozen=True)
class Month:
    """A calendar month; the current one ends today and is marked "so far"."""

    first: datetime.date
    last: datetime.date
    so_far: bool

    @property
    def key(self) -> Key:
        return (self.first.isoformat()[:7],)

    @property
    def short_name(self) -> str:
        return date_format(self.first, "F")

    @property
    def name(self) -> str:
        name = date_format(self.first, "F Y")
        return _("%(month)s (so far)") % {"month": name} if self.so_far else name


def months_ending(today: datetime.date, count: int = MONTHS) -> list[Month]:
    """The ``count`` months ending with today's, oldest first."""
    months = []
    first = today.replace(day=1)
    for index in range(count):
        last = today if index == 0 else _month_end(first)
        months.append(Month(first, last, so_far=index == 0))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return months[::-1]


def _month_end(first: datetime.date) -> datetime.date:
    return month_period(first.year, first.month).last


def axis_label(month: Month, index: int) -> str:
    """Short enough for twelve on a phone: the year only where it changes.

    A first month of December leaves its year to the January beside it, so
    two years never stand side by side.
    """
    lines = [date_format(month.first, "M")]
    if month.first.month == 1 or (index == 0 and month.first.month != 12):
        lines.append(str(month.first.year))
    if month.so_far:
        lines.append(_("so far"))
    return "\n".join(lines)


@dataclass(frozen=True)
class Headline:
    """One measure for the current month so far and the last complete month."""

    name: str | Promise
    definition: str | Promise
    so_far: str
    last_month: str
    last_month_basis: str = ""


@dataclass(frozen=True)
class MonthTable:
    """A table of months: a heading per column, and each month's values as text."""

    headings: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class StockAtRisk:
    shown: list[Forecast]
    more: int


@dataclass(frozen=True)
class Dashboard:
    months: list[Month]
    headlines: list[Headline]
    continuity: Headline
    contacts: Chart
    clients: Chart
    new_clients: Chart
    totals: MonthTable
    item_charts: list[Chart]
    cascade: Chart | None
    cascade_period: Period
    stock: StockAtRisk | None

    @property
    def current(self) -> Month:
        return self.months[-1]

    @property
    def last_complete(self) -> Month:
        return self.months[-2]


def build_dashboard(
    *,
    org_id: int,
    site_id: int | None,
    today: datetime.date,
    with_cascade: bool,
    with_stock: bool,
) -> Dashboard:
    """Everything the page shows; the cascade and stock only when asked and not empty."""
    scope = scope_of([org_id], None if site_id is None else [site_id])
    months = months_ending(today)
    period = Period(months[0].first, today)
    by_channel = compute_report(scope, period, by=(d.MONTH, d.CHANNEL))
    by_month = compute_report(scope, period, by=(d.MONTH,))
    last = months[-2]
    last_month = compute_report(scope, Period(last.first, last.last))
    cascade_period = Period(months[-1 - CASCADE_MONTHS].first, last.last)
    return Dashboard(
        months=months,
        headlines=headlines(by_month, months),
        continuity=continuity(last_month),
        contacts=contacts_chart(by_channel, months),
        clients=clients_chart(by_channel, by_month, months, "clients_reached"),
        new_clients=clients_chart(by_channel, by_month, months, "clients_new"),
        totals=totals(by_month, months),
        item_charts=item_charts(by_month, months),
        cascade=cascade_chart(org_id, site_id, cascade_period) if with_cascade else None,
        cascade_period=cascade_period,
        stock=stock_at_risk(org_id, site_id, today) if with_stock else None,
    )


# Headline figures -----------------------------------------------------------


def headlines(report: Report, months: Sequence[Month]) -> list[Headline]:
    figures = _figures(report)
    current, last = months[-1], months[-2]
    lines = []
    for measure_id in HEADLINE_MEASURES:
        figure = figures[measure_id]
        lines.append(
            Headline(
                name=figure.measure.name,
                definition=figure.measure.definition,
                so_far=_text(figure, current.key),
                last_month=_text(figure, last.key),
                last_month_basis=_basis(figure, last.key),
            )
        )
    return lines


def continuity(report: Report) -> Headline:
    figure = _figures(report)["continuity"]
    return Headline(
        name=figure.measure.name,
        definition=figure.measure.definition,
        so_far="",
        last_month=_text(figure, TOTAL),
        last_month_basis=_basis(figure, TOTAL),
    )


def _figures(report: Report) -> dict[str, Figure]:
    return {figure.measure.id: figure for figure in report.figures}


def _value(figure: Figure, key: Key) -> Number:
    value = shown(figure, key, outside=False)
    if isinstance(value, str):  # "<10" is for figures leaving the organisation
        return None
    if value is None and figure.measure.kind != d.RATIO:
        return 0
    return value


def _text(figure: Figure, key: Key) -> str:
    if figure.measure.kind == d.RATIO:
        return number_text(_value(figure, key), percent=True)
    return number_text(_value(figure, key))


def _basis(figure: Figure, key: Key) -> str:
    """The two counts behind a ratio, in words."""
    if figure.measure.kind != d.RATIO:
        return ""
    numerator, denominator = figure.basis.get(key, (0, 0))
    return _("%(part)s of %(whole)s") % {
        "part": number_format(numerator),
        "whole": number_format(denominator),
    }


# Trends ---------------------------------------------------------------------


def totals(report: Report, months: Sequence[Month]) -> MonthTable:
    """Each month's totals over every channel: each distinct count is the month's own."""
    figures = [_figures(report)[measure_id] for measure_id in TOTAL_MEASURES]
    return MonthTable(
        headings=[str(figure.measure.name) for figure in figures],
        rows=[(month.name, [_text(figure, month.key) for figure in figures]) for month in months],
    )


def _month_chart(
    chart_id: str,
    title: str | Promise,
    months: Sequence[Month],
    series: Sequence[Series],
    *,
    kind: str = "bar",
    stacked: bool = False,
    percent: bool = False,
) -> Chart:
    return Chart(
        id=chart_id,
        title=title,
        labels=[axis_label(month, index) for index, month in enumerate(months)],
        long_labels=[month.name for month in months],
        series=list(series),
        kind=kind,
        stacked=stacked,
        percent=percent,
        incomplete=[index for index, month in enumerate(months) if month.so_far],
    )


def channels_of(report: Report) -> list[str]:
    """The channels with any contact in the period, in the channels' own order."""
    contacts = _figures(report)["contacts"]
    used = {key[1] for key, value in contacts.cells.items() if value}
    known = [channel for channel in Channel.values if channel in used]
    return known + sorted(used - set(known))


def channel_series(report: Report, measure_id: str, months: Sequence[Month]) -> list[Series]:
    figure = _figures(report)[measure_id]
    labels = dict(Channel.choices)
    return [
        Series(
            labels.get(channel, channel),
            [_value(figure, (*month.key, channel)) for month in months],
            CHANNEL_COLOURS.get(channel, ""),
        )
        for channel in channels_of(report)
    ]


def month_series(
    report: Report, measure_id: str, months: Sequence[Month], label: str | Promise = ""
) -> Series:
    figure = _figures(report)[measure_id]
    return Series(
        label or figure.measure.name,
        [_value(figure, month.key) for month in months],
        ALL_CHANNELS_COLOUR,
    )


def contacts_chart(by_channel: Report, months: Sequence[Month]) -> Chart:
    """Contacts stacked by channel: the bars add up to all contacts."""
    return _month_chart(
        "contacts-by-channel",
        _("Contacts per month, by channel"),
        months,
        channel_series(by_channel, "contacts", months),
        stacked=True,
    )


CLIENT_TITLES = {
    "clients_reached": gettext_lazy("Unique clients per month, by channel"),
    "clients_new": gettext_lazy("New clients per month, by channel"),
}


def clients_chart(
    by_channel: Report, by_month: Report, months: Sequence[Month], measure_id: str
) -> Chart:
    """A line per channel and one for all channels, never stacked.

    A client seen through two channels is in both channels' lines but once
    in the line of all channels, which is the month's own distinct count.
    """
    return _month_chart(
        measure_id.replace("_", "-") + "-by-channel",
        CLIENT_TITLES[measure_id],
        months,
        [
            month_series(by_month, measure_id, months, gettext_lazy("All channels")),
            *channel_series(by_channel, measure_id, months),
        ],
        kind="line",
    )


def item_charts(by_month: Report, months: Sequence[Month]) -> list[Chart]:
    """One small chart per item category, their scales being far apart, and the return rate."""
    charts = [
        _month_chart(
            f"items-{measure_id}",
            d.MEASURES_BY_ID[measure_id].name,
            months,
            [month_series(by_month, measure_id, months)],
        )
        for measure_id in ITEM_MEASURES
    ]
    charts.append(
        _month_chart(
            "return-rate",
            d.MEASURES_BY_ID[RETURN_RATE].name,
            months,
            [month_series(by_month, RETURN_RATE, months)],
            kind="line",
            percent=True,
        )
    )
    return charts


# The HIV cascade and the stock ----------------------------------------------


def cascade_chart(org_id: int, site_id: int | None, period: Period) -> Chart | None:
    """The HIV cascade of the period as bars, or None when every stage is empty."""
    where = cascade.Scope(org_id=org_id, site_id=site_id)
    stages = cascade.period_cascade(cascade.HIV, where, period)
    if not any(stage.clients for stage in stages):
        return None
    return Chart(
        id="hiv-cascade",
        title=_("HIV cascade, %(first)s to %(last)s")
        % {"first": date_format(period.first), "last": date_format(period.last)},
        labels=[str(stage.label) for stage in stages],
        series=[Series(_("Clients"), [stage.clients for stage in stages])],
        horizontal=True,
    )


def stock_at_risk(org_id: int, site_id: int | None, today: datetime.date) -> StockAtRisk | None:
    """Items running out at the active locations in scope, soonest first; None if none."""
    locations = Location.objects.active().filter(org_id=org_id)
    if site_id is not None:
        locations = locations.filter(site_id=site_id)
    risky = [row for row in forecasts(list(locations), today=today) if row.at_risk]
    if not risky:
        return None
    return StockAtRisk(shown=risky[:STOCK_SHOWN], more=max(len(risky) - STOCK_SHOWN, 0))
