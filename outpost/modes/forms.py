import datetime
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import ServiceType
from outpost.modes.actions import MAX_CAPACITY, MAX_REASON
from outpost.modes.models import Mode
from outpost.orgs.models import OpeningHours, Site

if TYPE_CHECKING:
    # Only in django-stubs: a string or a lazily translated one.
    from django.utils.functional import _StrOrPromise


class ModeChangeForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    capacity = forms.IntegerField(
        label=_("Clients inside at once"),
        min_value=1,
        max_value=MAX_CAPACITY,
        required=False,
        help_text=_("Restricted mode admits 1 when empty; normal mode then has no limit."),
    )
    services_inside = forms.ModelMultipleChoiceField(
        label=_("Services still given inside (restricted mode)"),
        queryset=ServiceType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, site: Site, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"idempotency_key": uuid.uuid4()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        services_field = self.fields["services_inside"]
        assert isinstance(services_field, forms.ModelMultipleChoiceField)  # noqa: S101
        services_field.queryset = ServiceType.objects.filter(org_id=site.org_id, is_active=True)


DAYS = OpeningHours.Weekday


class OpeningHoursForm(forms.Form):
    """One opening interval per day; a day left empty is a closed day."""

    def __init__(
        self, *args: object, hours: Sequence[OpeningHours] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        current = {row.weekday: row for row in hours}
        for day in DAYS:
            row = current.get(day.value)
            self.fields[f"opens_{day.value}"] = _time_field(_("Opens"), row.opens if row else None)
            self.fields[f"closes_{day.value}"] = _time_field(
                _("Closes"), row.closes if row else None
            )

    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (str(day.label), self[f"opens_{day.value}"], self[f"closes_{day.value}"])
            for day in DAYS
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for day in DAYS:
            names = (f"opens_{day.value}", f"closes_{day.value}")
            if any(self.has_error(name) for name in names):
                # A time that could not be read already says so on its field.
                continue
            opens, closes = (data.get(name) for name in names)
            if (opens is None) != (closes is None):
                self.add_error(f"closes_{day.value}", _("Give both times, or neither."))
            elif isinstance(opens, datetime.time) and isinstance(closes, datetime.time):
                if closes <= opens:
                    self.add_error(f"closes_{day.value}", _("Closing comes after opening."))
        return data

    def hours(self) -> list[tuple[int, datetime.time, datetime.time]]:
        data = self.cleaned_data
        return [
            (day.value, data[f"opens_{day.value}"], data[f"closes_{day.value}"])
            for day in DAYS
            if data.get(f"opens_{day.value}") is not None
        ]


def _time_field(label: "_StrOrPromise", initial: datetime.time | None) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        initial=initial,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
