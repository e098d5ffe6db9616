"""Periods: a closed range of local dates (SPEC §2), and the form that asks for one."""

import datetime
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Period:
    """``first`` and ``last`` are both included."""

    first: datetime.date
    last: datetime.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month_period(year: int, month: int) -> Period:
    """The whole calendar month."""
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return Period(first, following - datetime.timedelta(days=1))


def last_complete_month(today: datetime.date) -> Period:
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return month_period(last.year, last.month)


def checked_period(first: object, last: object, *, longest_days: int = 366) -> Period:
    """Two typed dates as a period, or a ValidationError saying what is wrong."""
    if not isinstance(first, datetime.date) or not isinstance(last, datetime.date):
        raise forms.ValidationError(_("Choose the first and the last day."))
    if last < first:
        raise forms.ValidationError(_("The period ends before it starts."))
    if (last - first).days >= longest_days:
        raise forms.ValidationError(
            _("Choose a period of at most %(days)d days.") % {"days": longest_days}
        )
    return Period(first, last)


class PeriodForm(forms.Form):
    """A period typed as two dates; ``longest_days`` bounds what one page may ask."""

    longest_days = 366

    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if isinstance(first, datetime.date) and isinstance(last, datetime.date):
            checked_period(first, last, longest_days=self.longest_days)
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["first"], self.cleaned_data["last"])
