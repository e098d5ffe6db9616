"""A computed report as people and programs read it: labels, small numbers, rows.

The same rows feed the page, the CSV and XLSX exports and the
``indicators`` command, so the figures cannot differ between them.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from outpost.clients.models import PopulationGroup
from outpost.core.choices import Channel, Sex
from outpost.orgs.models import Organisation, Site
from outpost.reports import definitions as d
from outpost.reports.indicators import NO_GROUP, TOTAL, UNKNOWN, Figure, Key, Report
from outpost.reports.models import IndicatorCode

SMALL = "<10"
NOTHING = "—"
Shown = int | float | str | None
# Ratios read as percentages; the others (syringes per person) as numbers.
PERCENT_MEASURES = frozenset({"syringes_returned.rate", "continuity"})


@dataclass(frozen=True)
class Row:
    """One figure of one cell; ``key`` is empty for the total."""

    figure: Figure
    key: Key
    value: Shown


def shown(figure: Figure, key: Key, *, outside: bool) -> Shown:
    """The value as it may be shown: counts 1–9 as ``<10`` outside the organisation.

    Outside the organisation, a ratio is hidden when either count under it
    is from 1 to 9, and so is any cell that would let a small one be worked
    back from the total (``withheld``): both could give the small count.
    """
    value = figure.total if key == TOTAL else figure.cells.get(key)
    if figure.measure.kind == d.RATIO:
        basis = figure.basis.get(key, (0, 0))
        if outside and any(1 <= count <= 9 for count in basis):
            return None
        return None if value is None else round(value, 4)
    if outside and isinstance(value, int):
        if 1 <= value <= 9:
            return SMALL
        if key in withheld(figure):
            return None
    return value


def withheld(figure: Figure) -> frozenset[Key]:
    """Cells hidden besides the small ones, so that total minus the rest is not 1–9.

    When the cells shown as ``<10`` add up to 1–9, the total less the other
    cells would give them; the smallest other cells are hidden too until
    what is hidden adds up to 10 or more.
    """
    if figure.withheld is None:
        counts = {key: value for key, value in figure.cells.items() if isinstance(value, int)}
        hidden = {key for key, value in counts.items() if 1 <= value <= 9}
        spare = sorted(
            (key for key, value in counts.items() if value >= 10), key=lambda k: counts[k]
        )
        extra: set[Key] = set()
        while spare and 1 <= sum(counts[key] for key in hidden | extra) <= 9:
            extra.add(spare.pop(0))
        figure.withheld = frozenset(extra)
    return figure.withheld


def number_text(value: int | float | None, *, percent: bool = False) -> str:
    """A number in the reader's language; decimals rounded, not cut as number_format does."""
    if value is None:
        return NOTHING
    if percent:
        return _("%(percent)s%%") % {"percent": number_format(round(value * 100, 1), 1)}
    if isinstance(value, int):
        return str(number_format(value))
    return str(number_format(round(value, 2), 2))


def figure_text(figure: Figure, key: Key, *, outside: bool) -> str:
    """A figure's value as a page shows it, small numbers applied when ``outside``."""
    value = shown(figure, key, outside=outside)
    if isinstance(value, str):
        return value
    return number_text(value, percent=figure.measure.id in PERCENT_MEASURES)


def rows(report: Report, *, outside: bool) -> list[Row]:
    """Every figure: its total first, then its cells when it takes the splits."""
    lines: list[Row] = []
    for figure in report.figures:
        keys = [TOTAL, *report.keys] if figure.split else [TOTAL]
        lines.extend(Row(figure, key, shown(figure, key, outside=outside)) for key in keys)
    return lines


def donor_codes(org_ids: Sequence[int], *, wording: bool = False) -> dict[str, list[str]]:
    """Indicator id → the donor codes attached to it, with the donor's wording if asked."""
    codes: defaultdict[str, list[str]] = defaultdict(list)
    rows = IndicatorCode.objects.filter(org_id__in=org_ids).order_by("indicator", "code")
    for indicator, code, label in rows.values_list("indicator", "code", "label"):
        text = f"{code}: {label}" if wording and label else code
        if text not in codes[indicator]:
            codes[indicator].append(text)
    return dict(codes)


def value_labels(report: Report) -> dict[str, dict[str, str]]:
    """Split → value → what a reader sees (site and organisation names included)."""
    labels: dict[str, dict[str, str]] = {
        d.SEX: {value: str(label) for value, label in Sex.choices},
        d.CHANNEL: {value: str(label) for value, label in Channel.choices},
        d.GROUP: {value: str(label) for value, label in PopulationGroup.choices},
    }
    labels[d.GROUP][NO_GROUP] = _("No group recorded")
    wanted = set(report.by)
    if d.SITE in wanted:
        sites = Site.objects.filter(org_id__in=report.scope.org_ids).values_list("pk", "name")
        labels[d.SITE] = {str(pk): name for pk, name in sites}
    if d.ORG in wanted:
        orgs = Organisation.objects.filter(pk__in=report.scope.org_ids).values_list("pk", "name")
        labels[d.ORG] = {str(pk): name for pk, name in orgs}
    return labels


def key_text(key: Key, by: Sequence[str], labels: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The cell's values in words, one per split; the total is "All"."""
    if key == TOTAL:
        return [_("All")] * len(by) if by else []
    return [_label(dim, value, labels) for dim, value in zip(by, key, strict=True)]


def _label(dim: str, value: str, labels: Mapping[str, Mapping[str, str]]) -> str:
    if value == UNKNOWN:
        return _("Not recorded")
    return labels.get(dim, {}).get(value, value)


def as_json(report: Report, *, outside: bool) -> dict[str, object]:
    """The report as documented in docs/reports.md."""
    codes = donor_codes(report.scope.org_ids)
    indicators: list[dict[str, object]] = []
    for figure in report.figures:
        measure = figure.measure
        cells = (
            [
                {
                    **dict(zip(report.by, key, strict=True)),
                    "value": shown(figure, key, outside=outside),
                }
                for key in report.keys
            ]
            if figure.split
            else []
        )
        indicators.append(
            {
                "id": measure.id,
                "indicator": measure.indicator,
                "name": str(measure.name),
                "definition": str(measure.definition),
                "donor_codes": codes.get(measure.indicator, []),
                "kind": measure.kind,
                "split": figure.split,
                "total": shown(figure, TOTAL, outside=outside),
                "cells": cells,
            }
        )
    return {
        "period": {
            "first": report.period.first.isoformat(),
            "last": report.period.last.isoformat(),
        },
        "organisations": list(report.scope.org_ids),
        "sites": None if report.scope.site_ids is None else list(report.scope.site_ids),
        "by": list(report.by),
        "labels": {
            dim: names for dim, names in value_labels(report).items() if dim in (d.SITE, d.ORG)
        },
        "small_numbers_hidden": outside,
        "indicators": indicators,
    }


def table(report: Report, *, outside: bool) -> list[list[Shown]]:
    """A header and one row per figure and cell, for CSV and XLSX."""
    codes = donor_codes(report.scope.org_ids, wording=True)
    labels = value_labels(report)
    header: list[Shown] = [
        _("Indicator"),
        _("Measure"),
        _("Donor codes"),
        *[str(d.DIMENSION_NAMES[dim]) for dim in report.by],
        _("Value"),
        _("Definition"),
    ]
    body: list[list[Shown]] = []
    for row in rows(report, outside=outside):
        measure = row.figure.measure
        body.append(
            [
                measure.id,
                str(measure.name),
                ", ".join(codes.get(measure.indicator, [])),
                *key_text(row.key, report.by, labels),
                row.value,
                str(measure.definition),
            ]
        )
    return [header, *body]
