"""The indicator report's filters: a period, sites, splits, and who will read it.

The form is read from the query string, so a report is a link that can be
bookmarked or sent to a colleague. Left empty, it asks for the last complete
month in the person's local date.
"""

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from outpost.core.periods import Period, checked_period, last_complete_month, month_period
from outpost.orgs.models import Site
from outpost.reports import definitions as d

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
RANGE = "range"
PERIOD_KINDS = (
    (MONTH, _("Month")),
    (QUARTER, _("Quarter")),
    (YEAR, _("Year")),
    (RANGE, _("Dates")),
)
QUARTERS = [(str(n), f"Q{n}") for n in range(1, 5)]
# Every split but the organisation: this report covers one organisation.
SPLITS = tuple(dim for dim in d.DIMENSIONS if dim != d.ORG)
MOST_SPLITS = 3
FIRST_YEAR = 2000
LAST_YEAR = 2100
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
# The boxes each kind of period reads.
BOXES_READ = {
    MONTH: frozenset({"month"}),
    QUARTER: frozenset({"year", "quarter"}),
    YEAR: frozenset({"year"}),
    RANGE: frozenset({"first", "last"}),
}
PERIOD_BOXES = frozenset().union(*BOXES_READ.values())


@dataclass(frozen=True)
class ReportChoice:
    """What the filters ask for; ``name`` names the period in file names."""

    kind: str
    period: Period
    name: str
    site_ids: tuple[int, ...] | None
    site_names: tuple[str, ...]
    by: tuple[str, ...]
    outside: bool

    def query(self) -> str:
        """The query string that asks for this report again."""
        query = QueryDict(mutable=True)
        query["period"] = self.kind
        first = self.period.first
        if self.kind == MONTH:
            query["month"] = f"{first:%Y-%m}"
        elif self.kind == QUARTER:
            query["year"] = str(first.year)
            query["quarter"] = str(quarter_of(first))
        elif self.kind == YEAR:
            query["year"] = str(first.year)
        else:
            query["first"] = first.isoformat()
            query["last"] = self.period.last.isoformat()
        query.setlist("site", [str(pk) for pk in self.site_ids or ()])
        query.setlist("by", list(self.by))
        if self.outside:
            query["outside"] = "on"
        return query.urlencode()


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.Field):
    """A month typed as ``2026-01``, as ``<input type="month">`` sends it."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Enter a month as year and month, like 2026-01.")}

    def to_python(self, value: object) -> datetime.date | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        match = MONTH_PATTERN.fullmatch(raw)
        year, month = (int(part) for part in match.groups()) if match else (0, 0)
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.date(year, month, 1)


class ReportForm(forms.Form):
    """The report's filters; each kind of period reads only its own boxes."""

    period = forms.ChoiceField(
        label=_("Period"), choices=PERIOD_KINDS, required=False, widget=forms.RadioSelect
    )
    month = MonthField(
        label=_("Month"),
        required=False,
        widget=MonthInput(attrs={"placeholder": "2026-01", "pattern": r"\d{4}-\d{2}"}),
    )
    year = forms.IntegerField(
        label=_("Year"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    quarter = forms.ChoiceField(label=_("Quarter"), choices=QUARTERS, required=False)
    first = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    site = forms.MultipleChoiceField(
        label=_("Sites (none ticked: the whole organisation)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    by = forms.MultipleChoiceField(
        label=_("Split by (at most three)"),
        choices=[(dim, d.DIMENSION_NAMES[dim]) for dim in SPLITS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    outside = forms.BooleanField(
        label=_("For use outside the organisation (counts from 1 to 9 shown as <10)"),
        required=False,
    )

    def __init__(
        self, data: QueryDict | None, *, sites: Sequence[Site], today: datetime.date
    ) -> None:
        super().__init__(None if data is None else self._without_stray_boxes(data))
        self.sites = {str(site.pk): site for site in sites}
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.MultipleChoiceField)  # noqa: S101  # declared above
        site_field.choices = [(key, site.name) for key, site in self.sites.items()]
        self.today = today
        self.default = last_complete_month(today)
        first = self.default.first
        self.initial = {
            "period": MONTH,
            "month": f"{first:%Y-%m}",
            "year": first.year,
            "quarter": str(quarter_of(first)),
            "first": first,
            "last": self.default.last,
        }

    def _without_stray_boxes(self, data: QueryDict) -> QueryDict:
        """The query without the boxes of other kinds of period that do not parse.

        The page hides the boxes the chosen kind does not read; what is left
        in them must not stop the report.
        """
        kind = data.get("period") or MONTH
        kept = data.copy()
        for name in PERIOD_BOXES - BOXES_READ.get(kind, PERIOD_BOXES):
            try:
                self.base_fields[name].clean(data.get(name))
            except forms.ValidationError:
                kept.pop(name, None)
        return kept

    def clean_by(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["by"]
        if len(chosen) > MOST_SPLITS:
            raise forms.ValidationError(
                _("Choose at most %(most)d splits, so the table stays readable.")
                % {"most": MOST_SPLITS}
            )
        return [dim for dim in SPLITS if dim in chosen]

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if cleaned is None or self.errors:
            return cleaned
        period = self._period(cleaned)
        if period.first > self.today:
            raise forms.ValidationError(_("This period has not started yet."))
        cleaned["dates"] = period
        return cleaned

    def _period(self, cleaned: Mapping[str, object]) -> Period:
        kind = cleaned.get("period") or MONTH
        if kind == RANGE:
            return checked_period(cleaned.get("first"), cleaned.get("last"))
        if kind == MONTH:
            month = cleaned.get("month")
            if not isinstance(month, datetime.date):
                raise forms.ValidationError(_("Choose a month."))
            return month_period(month.year, month.month)
        year = cleaned.get("year")
        if not isinstance(year, int):
            raise forms.ValidationError(_("Choose a year."))
        if kind == YEAR:
            return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        quarter = cleaned.get("quarter")
        if not quarter:
            raise forms.ValidationError(_("Choose a quarter."))
        start = (int(str(quarter)) - 1) * 3 + 1
        return Period(datetime.date(year, start, 1), month_period(year, start + 2).last)

    def choice(self) -> ReportChoice:
        """The report asked for: the default one while the form is unbound.

        A bound form must be valid.
        """
        if not self.is_bound:
            return ReportChoice(
                kind=MONTH,
                period=self.default,
                name=_period_name(MONTH, self.default),
                site_ids=None,
                site_names=(),
                by=(),
                outside=False,
            )
        data = self.cleaned_data
        kind = data["period"] or MONTH
        chosen = [self.sites[key] for key in data["site"]]
        return ReportChoice(
            kind=kind,
            period=data["dates"],
            name=_period_name(kind, data["dates"]),
            site_ids=tuple(site.pk for site in chosen) or None,
            site_names=tuple(site.name for site in chosen),
            by=tuple(data["by"]),
            outside=data["outside"],
        )


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


def _period_name(kind: str, period: Period) -> str:
    first = period.first
    if kind == MONTH:
        return f"{first:%Y-%m}"
    if kind == QUARTER:
        return f"{first.year}-Q{quarter_of(first)}"
    if kind == YEAR:
        return str(first.year)
    return f"{first.isoformat()}_{period.last.isoformat()}"
