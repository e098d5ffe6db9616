import datetime
from typing import TYPE_CHECKING

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from outpost.core.models import AuditEvent
from outpost.orgs.models import User

# Labels for the verbs written today; a verb without one shows as itself.
VERB_LABELS = {
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Failed sign-in"),
    "auth.logout": _("Signed out"),
    "audit.exported": _("Audit trail exported"),
    "client.viewed": _("Client viewed"),
    "client.registered": _("Client registered"),
    "contact.recorded": _("Contact recorded"),
    "stock.received": _("Stock received"),
    "contact_details.revealed": _("Contact details revealed"),
    "contact_details.changed": _("Contact details changed"),
}


if TYPE_CHECKING:
    UserChoiceFieldBase = forms.ModelChoiceField[User]
else:
    # django-stubs' generics are not subscriptable at run time.
    UserChoiceFieldBase = forms.ModelChoiceField


class StaffChoiceField(UserChoiceFieldBase):
    def label_from_instance(self, obj: User) -> str:
        return obj.username


class AuditFilterForm(forms.Form):
    """Filters for the organisation's audit trail; every one is optional."""

    verb = forms.ChoiceField(label=_("Action"), required=False)
    actor = StaffChoiceField(
        label=_("Staff member"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Anyone"),
    )
    date_from = forms.DateField(
        label=_("From (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    target_type = forms.ChoiceField(label=_("Record type"), required=False)
    target_id = forms.IntegerField(label=_("Record id"), required=False, min_value=1)

    def __init__(
        self,
        data: object,
        *,
        org_id: int,
        verbs: list[str],
        target_types: list[str],
    ) -> None:
        super().__init__(data)  # type: ignore[arg-type]  # a QueryDict or None
        any_choice = [("", _("Any"))]
        verb_field = self.fields["verb"]
        type_field = self.fields["target_type"]
        actor_field = self.fields["actor"]
        if not (
            isinstance(verb_field, forms.ChoiceField)
            and isinstance(type_field, forms.ChoiceField)
            and isinstance(actor_field, StaffChoiceField)
        ):
            raise TypeError("AuditFilterForm fields changed type")
        verb_field.choices = any_choice + [(v, VERB_LABELS.get(v, v)) for v in verbs]
        type_field.choices = any_choice + [(t, t) for t in target_types]
        actor_field.queryset = User.objects.filter(memberships__org_id=org_id).order_by("username")

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if cleaned is None:
            return None
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if isinstance(start, datetime.date) and isinstance(end, datetime.date) and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return cleaned

    def apply(self, entries: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """The entries that pass the filters; call only on a valid form."""
        data = self.cleaned_data
        if data["verb"]:
            entries = entries.filter(verb=data["verb"])
        if data["actor"] is not None:
            entries = entries.filter(actor=data["actor"])
        if data["date_from"] is not None:
            entries = entries.filter(at__gte=_utc_midnight(data["date_from"]))
        if data["date_to"] is not None and data["date_to"] < datetime.date.max:
            next_day = data["date_to"] + datetime.timedelta(days=1)
            entries = entries.filter(at__lt=_utc_midnight(next_day))
        if data["target_type"]:
            entries = entries.filter(target_type=data["target_type"])
        if data["target_id"] is not None:
            entries = entries.filter(target_id=data["target_id"])
        return entries


def _utc_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
