"""Charts as data: a view builds a ``Chart``; ``reports/_chart.html`` draws it.

The page carries the numbers as JSON (``json_script``) next to a canvas, and
``reports/charts.js`` hands them to Chart.js; with no script, the table
beside every chart still shows the same numbers (``Chart.rows`` gives them
in the order a table reads them).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.functional import Promise

from outpost.reports.output import number_text

Number = int | float | None


@dataclass(frozen=True)
class Series:
    """``colour`` is any CSS colour; empty, the chart's palette picks one."""

    label: str | Promise
    values: Sequence[Number]
    colour: str = ""


@dataclass(frozen=True)
class Chart:
    """``kind`` is "bar" or "line"; ``stacked`` stacks the series' bars.

    A label may hold line breaks ("Mar\\n2026"), drawn as lines under the
    axis. ``long_labels``, when given, name each label in full for tooltips
    and tables. ``incomplete`` lists the indexes of labels whose period is not
    over yet (the current month so far): their bars are drawn faded and the
    line to them dashed. ``percent`` reads values as shares (0.25 is 25 %).
    """

    id: str
    title: str | Promise
    labels: Sequence[str]
    series: Sequence[Series] = field(default_factory=list)
    kind: str = "bar"
    stacked: bool = False
    horizontal: bool = False
    long_labels: Sequence[str] = ()
    incomplete: Sequence[int] = ()
    percent: bool = False

    @property
    def data_id(self) -> str:
        return f"{self.id}-data"

    @property
    def full_labels(self) -> list[str]:
        if self.long_labels:
            return [str(label) for label in self.long_labels]
        return [str(label).replace("\n", " ") for label in self.labels]

    def rows(self) -> list[tuple[str, list[str]]]:
        """One row per label: each series' value in series order, as a table shows it."""
        return [
            (label, [self.text(series.values[index]) for series in self.series])
            for index, label in enumerate(self.full_labels)
        ]

    def text(self, value: Number) -> str:
        return number_text(value, percent=self.percent)

    def data(self) -> dict[str, object]:
        """What ``charts.js`` reads."""
        return {
            "type": self.kind,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "percent": self.percent,
            "labels": [str(label) for label in self.labels],
            "longLabels": self.full_labels,
            "incomplete": list(self.incomplete),
            "datasets": [
                {"label": str(series.label), "data": list(series.values), "colour": series.colour}
                for series in self.series
            ],
        }
