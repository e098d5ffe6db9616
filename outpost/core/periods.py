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


class PeriodForm(forms.Form):
    """A period typed as two dates; ``longest_days`` bounds what one page may ask."""

    longest_days = 366

    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if isinstance(first, datetime.date) and isinstance(last, datetime.date):
            if last < first:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (last - first).days >= self.longest_days:
                raise forms.ValidationError(
                    _("Choose a period of at most %(days)d days.") % {"days": self.longest_days}
                )
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["first"], self.cleaned_data["last"])
