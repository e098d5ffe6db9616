import datetime
import uuid
import zoneinfo

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.clients.forms import PRIVATE_INPUT
from outpost.clients.uic import UICParts, parse_uic
from outpost.core.periods import PeriodForm
from outpost.orgs.models import Site
from outpost.room.actions import MAX_ATTENDEES, MAX_DISPOSED, MAX_DOSES, NALOXONE
from outpost.room.models import Event, OverdoseIncident


class SiteDateTimeField(forms.DateTimeField):
    """A date and time typed on a phone, read in the site's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *, tz: zoneinfo.ZoneInfo, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # Field's own signature
        self.tz = tz

    def prepare_value(self, value: object) -> object:
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.make_naive(value, self.tz)
        return value

    def to_python(
        self, value: str | datetime.datetime | datetime.date | None
    ) -> datetime.datetime | None:
        with timezone.override(self.tz):
            return super().to_python(value)


class CheckOutForm(forms.Form):
    disposed = forms.IntegerField(
        label=_("Used equipment disposed"),
        min_value=0,
        max_value=MAX_DISPOSED,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
    )


class IncidentForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("Time"))
    code = forms.CharField(
        label=_("Client code, if known"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
    signs = forms.MultipleChoiceField(
        label=_("Signs"),
        choices=OverdoseIncident.Sign.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    naloxone_doses = forms.IntegerField(
        label=_("Naloxone doses given"), min_value=0, max_value=MAX_DOSES, initial=0
    )
    naloxone_item = forms.ModelChoiceField(
        label=_("Naloxone"), queryset=Item.objects.none(), required=False
    )
    oxygen = forms.BooleanField(label=_("Oxygen given"), required=False)
    rescue_breathing = forms.BooleanField(label=_("Rescue breathing"), required=False)
    ambulance_called_at = forms.DateTimeField(label=_("Ambulance called"), required=False)
    ambulance_arrived_at = forms.DateTimeField(label=_("Ambulance arrived"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OverdoseIncident.Outcome.choices)

    def __init__(self, *args: object, site: Site, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.today = site.local_today()
        tz = zoneinfo.ZoneInfo(site.timezone)
        for name in ("occurred_at", "ambulance_called_at", "ambulance_arrived_at"):
            old = self.fields[name]
            self.fields[name] = SiteDateTimeField(tz=tz, label=old.label, required=old.required)
        self.fields["occurred_at"].error_messages["required"] = _("Give the time of the overdose.")
        item_field = self.fields["naloxone_item"]
        assert isinstance(item_field, forms.ModelChoiceField)  # noqa: S101
        naloxone = Item.objects.filter(
            org_id=site.org_id, is_active=True, category__code=NALOXONE
        ).select_related("category")
        item_field.queryset = naloxone
        item_field.empty_label = None
        first = naloxone.first()
        if first is not None:
            item_field.initial = first.pk

    def clean_code(self) -> UICParts | None:
        code: str = self.cleaned_data["code"].strip()
        return parse_uic(code, today=self.today) if code else None


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("Topic"), max_length=200)
    facilitator = forms.CharField(label=_("Facilitator"), max_length=200)
    codes = forms.CharField(
        label=_("Client codes of those who came, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, **PRIVATE_INPUT}),
    )
    anonymous_count = forms.IntegerField(
        label=_("Attendees without a code"), min_value=0, max_value=MAX_ATTENDEES, initial=0
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, site: Site, **kwargs: object) -> None:
        self.today = site.local_today()
        kwargs.setdefault(
            "initial", {"idempotency_key": uuid.uuid4(), "date": self.today, "anonymous_count": 0}
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature

    def clean_codes(self) -> list[UICParts]:
        lines = [line.strip() for line in self.cleaned_data["codes"].splitlines()]
        return [parse_uic(line, today=self.today) for line in lines if line]


class PastPeriodForm(PeriodForm):
    """A period that has already ended by ``today``, the site's local date."""

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.today = today

    def clean(self) -> dict[str, object]:
        data = super().clean()
        last = data.get("last")
        if isinstance(last, datetime.date) and last > self.today:
            raise forms.ValidationError(
                _("The period cannot end after today, %(today)s. Choose an earlier end date.")
                % {"today": formats.date_format(self.today)}
            )
        return data
