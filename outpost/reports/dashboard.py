"""The figures of the reports dashboard: twelve months of trends at a glance.

Three reports feed it, each a fixed number of queries: the twelve months by
month and channel, the same months by month alone (the totals, each month's
own distinct count), and the last complete month for continuity, which a
month split does not take. The HIV cascade of the last three complete months
and the stock at risk are read only for roles that may see them.

With years of national data those reports take seconds, so the numbers are
kept in Django's cache (``settings.CACHES``) and computed again at most
every ``FRESH_MINUTES``; the page says when they were computed. What is
kept is numbers only (``Figures``), never words, so one computation serves
every language. Its key (``Asked``) names all that decides what is computed
(the organisation, the site, the day and the parts the role may see), so
nobody is shown figures made for another organisation, site or role. When
the figures are stale, one request computes them again while the others
are shown the older ones with their time; when there are none, the others
wait for that one rather than repeat its work.
"""

import datetime
import hashlib
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outpost.catalogue.models import TranslatedNameMixin
from outpost.core.choices import Channel
from outpost.core.periods import Period, month_period
from outpost.inventory.forecast import forecasts
from outpost.inventory.models import Location
from outpost.reports import definitions as d
from outpost.reports.charts import Chart, Number, Series
from outpost.reports.indicators import TOTAL, Key, Report, Value, compute_report, scope_of
from outpost.reports.output import number_text
from outpost.testing import cascade

MONTHS = 12
CASCADE_MONTHS = 3
STOCK_SHOWN = 8

# How long computed figures are shown before a request computes them again.
FRESH_MINUTES = 5
# Stale figures are shown only while another request computes new ones;
# after this they are dropped, and the next request computes and waits.
KEPT_SECONDS = 4 * FRESH_MINUTES * 60
# A computation still running after this is taken to have died.
COMPUTING_SECONDS = 120
WAIT_STEP_SECONDS = 0.25
# Part of every key: a change to ``Figures`` must never read the old shape.
FIGURES_VERSION = 1

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
CHANNEL_MEASURES = ("contacts", "clients_reached", "clients_new")


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


# What is computed, and kept in the cache ------------------------------------


@dataclass(frozen=True)
class Asked:
    """All that decides which figures a dashboard holds: the cache key is made of it."""

    org_id: int
    site_id: int | None
    today: datetime.date
    with_cascade: bool
    with_stock: bool

    @property
    def cache_key(self) -> str:
        return ":".join(
            (
                f"dashboard-v{FIGURES_VERSION}",
                _database_tag(),
                str(self.org_id),
                "all" if self.site_id is None else str(self.site_id),
                self.today.isoformat(),
                "cascade" if self.with_cascade else "-",
                "stock" if self.with_stock else "-",
            )
        )


def _database_tag() -> str:
    """The database the figures come from, as a short tag.

    Two installations sharing a cache, or one switched to another database,
    never mix their figures.
    """
    settings = connection.settings_dict
    where = f"{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Counts:
    """One measure's numbers from a report, without its words."""

    total: Value
    cells: dict[Key, Value]
    basis: dict[Key, tuple[int, int]]


# Measure id → its numbers.
Measures = Mapping[str, Counts]


@dataclass(frozen=True)
class StockRow(TranslatedNameMixin):
    """An item running out at a location; ``name`` is the item's, shown translated."""

    name: str
    location_id: int
    location_name: str
    on_hand: int
    days_of_stock: int | None


@dataclass(frozen=True)
class StockAtRisk:
    shown: list[StockRow]
    more: int


@dataclass(frozen=True)
class Figures:
    """The numbers of one ``Asked``, as the database gave them at ``computed_at``."""

    computed_at: datetime.datetime
    by_channel: Measures
    by_month: Measures
    last_month: Measures
    # Clients at each stage of ``cascade.HIV``; None when not asked or all empty.
    cascade: tuple[int, ...] | None
    stock: StockAtRisk | None

    def is_fresh(self, now: datetime.datetime) -> bool:
        return now - self.computed_at < datetime.timedelta(minutes=FRESH_MINUTES)


def compute_figures(asked: Asked) -> Figures:
    """Every number the page shows, from the database: the slow part."""
    scope = scope_of([asked.org_id], None if asked.site_id is None else [asked.site_id])
    months = months_ending(asked.today)
    period = Period(months[0].first, asked.today)
    last = months[-2]
    by_channel = compute_report(scope, period, (d.MONTH, d.CHANNEL), CHANNEL_MEASURES)
    by_month = compute_report(scope, period, (d.MONTH,), TOTAL_MEASURES)
    last_month = compute_report(scope, Period(last.first, last.last), (), ("continuity",))
    return Figures(
        computed_at=timezone.now(),
        by_channel=_counts(by_channel, CHANNEL_MEASURES),
        by_month=_counts(by_month, TOTAL_MEASURES),
        last_month=_counts(last_month, ("continuity",)),
        cascade=(
            cascade_counts(asked.org_id, asked.site_id, cascade_period(months))
            if asked.with_cascade
            else None
        ),
        stock=stock_at_risk(asked.org_id, asked.site_id, asked.today)
        if asked.with_stock
        else None,
    )


def _counts(report: Report, measure_ids: Collection[str]) -> dict[str, Counts]:
    """The numbers of the measures the page shows; the rest of the report is not kept."""
    return {
        figure.measure.id: Counts(figure.total, dict(figure.cells), dict(figure.basis))
        for figure in report.figures
        if figure.measure.id in measure_ids
    }


def cached_figures(asked: Asked) -> Figures:
    """The figures from the cache while fresh; else computed by one request at a time.

    The ``cache.add`` lock is atomic on Redis, the database and local
    memory; with the file cache two requests may rarely both compute, which
    costs time but gives the same figures.
    """
    kept = _kept(asked.cache_key)
    if kept is not None and kept.is_fresh(timezone.now()):
        return kept
    lock = asked.cache_key + ":computing"
    if cache.add(lock, True, COMPUTING_SECONDS):
        try:
            return _compute_and_keep(asked)
        finally:
            cache.delete(lock)
    if kept is not None:
        return kept  # stale, shown with its time while another request computes
    return _wait_for(asked.cache_key) or _compute_and_keep(asked)


def forget(asked: Asked) -> None:
    """Drop the kept figures: the next request computes them again."""
    cache.delete(asked.cache_key)


def _kept(key: str) -> Figures | None:
    kept = cache.get(key)
    return kept if isinstance(kept, Figures) else None


def _compute_and_keep(asked: Asked) -> Figures:
    figures = compute_figures(asked)
    cache.set(asked.cache_key, figures, KEPT_SECONDS)
    return figures


def _wait_for(key: str) -> Figures | None:
    """The figures another request is computing, once kept; None if it gave up."""
    deadline = time.monotonic() + COMPUTING_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP_SECONDS)
        kept = _kept(key)
        if kept is not None:
            return kept
        if not cache.has_key(key + ":computing"):
            return None
    return None


# What is shown ----------------------------------------------------------------


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
    computed_at: datetime.datetime
    fresh_minutes: int = FRESH_MINUTES

    @property
    def current(self) -> Month:
        return self.months[-1]

    @property
    def last_complete(self) -> Month:
        return self.months[-2]


def build_dashboard(asked: Asked) -> Dashboard:
    """Everything the page shows: the cached figures in the reader's language."""
    return present(asked, cached_figures(asked))


def present(asked: Asked, figures: Figures) -> Dashboard:
    """The figures in words, charts and tables; no query."""
    months = months_ending(asked.today)
    by_channel, by_month = figures.by_channel, figures.by_month
    period = cascade_period(months)
    return Dashboard(
        months=months,
        headlines=headlines(by_month, months),
        continuity=continuity(figures.last_month),
        contacts=contacts_chart(by_channel, months),
        clients=clients_chart(by_channel, by_month, months, "clients_reached"),
        new_clients=clients_chart(by_channel, by_month, months, "clients_new"),
        totals=totals(by_month, months),
        item_charts=item_charts(by_month, months),
        cascade=None if figures.cascade is None else cascade_chart(figures.cascade, period),
        cascade_period=period,
        stock=figures.stock,
        computed_at=figures.computed_at,
    )


def cascade_period(months: Sequence[Month]) -> Period:
    """The last ``CASCADE_MONTHS`` complete months."""
    return Period(months[-1 - CASCADE_MONTHS].first, months[-2].last)


# Headline figures -----------------------------------------------------------


def headlines(measures: Measures, months: Sequence[Month]) -> list[Headline]:
    current, last = months[-1], months[-2]
    lines = []
    for measure_id in HEADLINE_MEASURES:
        measure = d.MEASURES_BY_ID[measure_id]
        lines.append(
            Headline(
                name=measure.name,
                definition=measure.definition,
                so_far=_text(measures, measure_id, current.key),
                last_month=_text(measures, measure_id, last.key),
                last_month_basis=_basis(measures, measure_id, last.key),
            )
        )
    return lines


def continuity(measures: Measures) -> Headline:
    measure = d.MEASURES_BY_ID["continuity"]
    return Headline(
        name=measure.name,
        definition=measure.definition,
        so_far="",
        last_month=_text(measures, "continuity", TOTAL),
        last_month_basis=_basis(measures, "continuity", TOTAL),
    )


def _is_ratio(measure_id: str) -> bool:
    return d.MEASURES_BY_ID[measure_id].kind == d.RATIO


def _value(measures: Measures, measure_id: str, key: Key) -> Number:
    """The value as the organisation's own staff see it: no small numbers hidden."""
    counts = measures[measure_id]
    value = counts.total if key == TOTAL else counts.cells.get(key)
    if _is_ratio(measure_id):
        return None if value is None else round(value, 4)
    return 0 if value is None else value


def _text(measures: Measures, measure_id: str, key: Key) -> str:
    return number_text(_value(measures, measure_id, key), percent=_is_ratio(measure_id))


def _basis(measures: Measures, measure_id: str, key: Key) -> str:
    """The two counts behind a ratio, in words."""
    if not _is_ratio(measure_id):
        return ""
    numerator, denominator = measures[measure_id].basis.get(key, (0, 0))
    return _("%(part)s of %(whole)s") % {
        "part": number_format(numerator),
        "whole": number_format(denominator),
    }


# Trends ---------------------------------------------------------------------


def totals(measures: Measures, months: Sequence[Month]) -> MonthTable:
    """Each month's totals over every channel: each distinct count is the month's own."""
    return MonthTable(
        headings=[str(d.MEASURES_BY_ID[measure_id].name) for measure_id in TOTAL_MEASURES],
        rows=[
            (month.name, [_text(measures, measure_id, month.key) for measure_id in TOTAL_MEASURES])
            for month in months
        ],
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


def channels_of(measures: Measures) -> list[str]:
    """The channels with any contact in the period, in the channels' own order."""
    used = {key[1] for key, value in measures["contacts"].cells.items() if value}
    known = [channel for channel in Channel.values if channel in used]
    return known + sorted(used - set(known))


def channel_series(measures: Measures, measure_id: str, months: Sequence[Month]) -> list[Series]:
    labels = dict(Channel.choices)
    return [
        Series(
            labels.get(channel, channel),
            [_value(measures, measure_id, (*month.key, channel)) for month in months],
            CHANNEL_COLOURS.get(channel, ""),
        )
        for channel in channels_of(measures)
    ]


def month_series(
    measures: Measures, measure_id: str, months: Sequence[Month], label: str | Promise = ""
) -> Series:
    return Series(
        label or d.MEASURES_BY_ID[measure_id].name,
        [_value(measures, measure_id, month.key) for month in months],
        ALL_CHANNELS_COLOUR,
    )


def contacts_chart(by_channel: Measures, months: Sequence[Month]) -> Chart:
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
    by_channel: Measures, by_month: Measures, months: Sequence[Month], measure_id: str
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


def item_charts(by_month: Measures, months: Sequence[Month]) -> list[Chart]:
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


def cascade_counts(org_id: int, site_id: int | None, period: Period) -> tuple[int, ...] | None:
    """Clients at each stage of the HIV cascade in the period; None when every stage is empty."""
    where = cascade.Scope(org_id=org_id, site_id=site_id)
    stages = cascade.period_cascade(cascade.HIV, where, period)
    if not any(stage.clients for stage in stages):
        return None
    return tuple(stage.clients for stage in stages)


def cascade_chart(clients: Sequence[int], period: Period) -> Chart:
    """The HIV cascade of the period as bars."""
    return Chart(
        id="hiv-cascade",
        title=_("HIV cascade, %(first)s to %(last)s")
        % {"first": date_format(period.first), "last": date_format(period.last)},
        labels=[str(stage.label) for stage in cascade.HIV],
        series=[Series(_("Clients"), list(clients))],
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
    shown = [
        StockRow(
            name=row.item.name,
            location_id=row.location.pk,
            location_name=row.location.name,
            on_hand=row.on_hand,
            days_of_stock=row.days_of_stock,
        )
        for row in risky[:STOCK_SHOWN]
    ]
    return StockAtRisk(shown=shown, more=max(len(risky) - STOCK_SHOWN, 0))
