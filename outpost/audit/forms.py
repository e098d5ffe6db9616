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
    "report.exported": _("Indicator report exported"),
    "report.exported_outside": _("Indicator report exported for use outside the organisation"),
    "client.viewed": _("Client viewed"),
    "client.registered": _("Client registered"),
    "contact.recorded": _("Contact recorded"),
    "contact_details.revealed": _("Contact details revealed"),
    "contact_details.changed": _("Contact details changed"),
    "contact_details.erased": _("Contact details erased"),
    "stock.received": _("Stock received"),
    "stock.adjusted": _("Stock adjusted"),
    "stock.kits_assembled": _("Kits assembled"),
    "stock.transfer_sent": _("Transfer sent"),
    "stock.transfer_received": _("Transfer received"),
    "stock.count_started": _("Count started"),
    "stock.count_applied": _("Count applied"),
    "stock.count_cancelled": _("Count cancelled"),
    "stock.ordered": _("Stock ordered"),
    "stock.order_cancelled": _("Order cancelled"),
    "stock.location_created": _("Stock location created"),
    "stock.location_changed": _("Stock location changed"),
    "stock.policies_saved": _("Forecast settings saved"),
    "test.recorded": _("Test recorded"),
    "test.self_test_reported": _("Self-test result recorded"),
    "test.viewed": _("Test results viewed"),
    "outcome.recorded": _("Care outcome recorded"),
    "referral.issued": _("Referral issued"),
    "referral.completed": _("Referral completed"),
    "referral.lost": _("Referral lost"),
    "referral.viewed": _("Referral viewed"),
    "referrals.listed": _("Referrals listed"),
    "art.started": _("ART started"),
    "art.delivered": _("ART delivered"),
    "art.viewed": _("ART course viewed"),
    "art.listed": _("ART deliveries listed"),
    "mode.changed": _("Operating mode changed"),
    "site.hours_changed": _("Opening hours changed"),
    "ppe.confirmed": _("Protective equipment confirmed"),
    "room.checked_in": _("Checked in to the room"),
    "room.checked_out": _("Checked out of the room"),
    "room.waiting_added": _("Added to the waiting list"),
    "room.waiting_removed": _("Taken off the waiting list"),
    "room.disinfected": _("Disinfection recorded"),
    "overdose.started": _("Overdose response started"),
    "overdose.recorded": _("Overdose incident recorded"),
    "overdose.viewed": _("Overdose incident viewed"),
    "event.recorded": _("Group or event recorded"),
    "delivery.requested": _("Delivery order taken"),
    "delivery.approved": _("Delivery order approved"),
    "delivery.assigned": _("Delivery assigned to a courier"),
    "delivery.out": _("Courier set off"),
    "delivery.delivered": _("Delivered"),
    "delivery.failed": _("Delivery failed"),
    "delivery.cancelled": _("Delivery order cancelled"),
    "delivery.retried": _("New delivery attempt"),
    "delivery.details_revealed": _("Delivery address revealed"),
    "stop.planned": _("Mobile unit stop planned"),
    "stop.cancelled": _("Mobile unit stop cancelled"),
    "shift.started": _("Shift started"),
    "shift.joined": _("Shift joined"),
    "shift.ended": _("Shift ended"),
    "web_figures.recorded": _("Web outreach figures entered"),
    "case.opened": _("Case opened"),
    "case.viewed": _("Case viewed"),
    "case.goals_changed": _("Case goals changed"),
    "case.closed": _("Case closed"),
    "case.reassigned": _("Case handed over"),
    "case_notes.revealed": _("Case notes read"),
    "case_history.viewed": _("Client history viewed"),
    "case_lists.changed": _("Case goals or topics changed"),
    "caseload.viewed": _("Caseload viewed"),
    "consultation.recorded": _("Consultation recorded"),
    "follow_up.completed": _("Follow-up done"),
    "import.checked": _("Import file checked (dry run)"),
    "import.completed": _("Contacts imported from a file"),
    "import.failed": _("Import refused, nothing saved"),
    "package.changed": _("Defined package changed"),
    "package.restored": _("Default package restored"),
    "indicator_code.added": _("Donor indicator code added"),
    "indicator_code.removed": _("Donor indicator code removed"),
    "population.saved": _("Population size estimate saved"),
    "population.removed": _("Population size estimate removed"),
    "network.joined": _("Organisation added to a network"),
    "network.left": _("Organisation taken out of a network"),
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
