import datetime
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from outpost.outreach.actions import MAX_FIGURE
from outpost.outreach.models import WebOutreachFigures


class StopForm(forms.Form):
    place = forms.CharField(label=_("Place"), max_length=200)
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(
        label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=8, decimal_places=5
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=8, decimal_places=5
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial",
            {
                "date": today,
                "starts": datetime.time(10),
                "ends": datetime.time(14),
                "idempotency_key": uuid.uuid4(),
            },
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"), input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"})
    )


class WebFiguresForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    name = forms.CharField(
        label=_("Channel or chat"),
        max_length=100,
        help_text=_("For example: Telegram channel, or the chat of people who use opioids."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=WebOutreachFigures.Kind.choices, widget=forms.RadioSelect
    )
    audience = forms.IntegerField(
        label=_("Subscribers or members"), min_value=0, max_value=MAX_FIGURE
    )
    consultations = forms.IntegerField(
        label=_("Consultations by messenger"), min_value=0, max_value=MAX_FIGURE
    )
