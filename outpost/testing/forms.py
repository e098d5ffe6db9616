import datetime
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.contacts.models import ContactItem
from outpost.core.periods import PeriodForm
from outpost.testing.actions import MAX_REGIMEN_LENGTH, MAX_SUPPLY_DAYS, OUTCOMES
from outpost.testing.models import KIT_CATEGORY, Disease, Milestone, Referral, Result, Test

# Regimens offered as the regimen is typed (WHO 2021 preferred and
# alternative first-line and second-line); any other can be written.
REGIMENS = [
    "TDF/3TC/DTG",
    "TDF/FTC/DTG",
    "TAF/FTC/DTG",
    "ABC/3TC/DTG",
    "TDF/3TC/EFV",
    "TDF/FTC/EFV",
    "AZT/3TC/DTG",
    "AZT/3TC/LPV/r",
    "TDF/3TC/ATV/r",
    "AZT/3TC/ATV/r",
]
MAX_PERIOD_DAYS = 366 * 3
# <input type="date"> shows and sends ISO dates whatever the reader's
# language; a value in the language's own format would show as empty.
ISO_DATE = "%Y-%m-%d"


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


class KeyedForm(forms.Form):
    """A form that carries an idempotency key, renewed if it comes back broken."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self, data: QueryDict | None = None, *, initial: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(data, initial={"idempotency_key": uuid.uuid4(), **(initial or {})})

    def full_clean(self) -> None:
        super().full_clean()
        if self.has_error("idempotency_key") and isinstance(self.data, QueryDict):
            # Nothing was saved under a missing or broken key: offer a new one.
            data = self.data.copy()
            data["idempotency_key"] = str(uuid.uuid4())
            self.data = data


if TYPE_CHECKING:
    HandoutChoiceField = forms.ModelChoiceField[ContactItem]
else:
    # The field is generic only in the type stubs.
    HandoutChoiceField = forms.ModelChoiceField


class HandoutField(HandoutChoiceField):
    def label_from_instance(self, obj: ContactItem) -> str:
        return f"{obj.contact.date} · {obj.item.display_name}"


class RapidTestForm(KeyedForm):
    kit = forms.ModelChoiceField(
        label=_("Test kit"), queryset=Item.objects.none(), widget=forms.RadioSelect
    )
    pre_counselling = forms.BooleanField(label=_("Pre-test counselling given"), required=False)
    result = forms.ChoiceField(label=_("Result"), choices=Result.choices, widget=forms.RadioSelect)
    result_given = forms.BooleanField(label=_("The client received the result"), required=False)
    post_counselling = forms.BooleanField(label=_("Post-test counselling given"), required=False)

    def __init__(self, data: QueryDict | None = None, *, org_id: int) -> None:
        super().__init__(data)
        kit_field = self.fields["kit"]
        assert isinstance(kit_field, forms.ModelChoiceField)  # noqa: S101
        kit_field.queryset = Item.objects.filter(
            org_id=org_id, is_active=True, category__code__in=KIT_CATEGORY.values()
        ).select_related("category")
        kit_field.empty_label = None


class SelfTestResultForm(KeyedForm):
    handout = HandoutField(label=_("Self-test handed out"), queryset=ContactItem.objects.none())
    result = forms.ChoiceField(
        label=_("Result the client reported"), choices=Result.choices, widget=forms.RadioSelect
    )
    reported_on = forms.DateField(label=_("Reported on"), widget=date_input())

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        handouts: QuerySet[ContactItem],
        today: datetime.date,
    ) -> None:
        super().__init__(data, initial={"reported_on": today})
        handout_field = self.fields["handout"]
        assert isinstance(handout_field, forms.ModelChoiceField)  # noqa: S101
        handout_field.queryset = handouts


class ReferralForm(KeyedForm):
    target = forms.ChoiceField(
        label=_("Refer to"), choices=Referral.Target.choices, widget=forms.RadioSelect
    )
    disease = forms.ChoiceField(
        label=_("Confirmation of"),
        choices=[("", "—"), *Disease.choices],
        required=False,
        help_text=_(
            "Only for confirmatory testing without a test recorded here; "
            "leave it empty for other services."
        ),
    )
    due_on = forms.DateField(label=_("Due by"), widget=date_input())
    test = forms.ModelChoiceField(
        queryset=Test.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        client_id: int,
        today: datetime.date,
        initial: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(
            data, initial={"due_on": today + datetime.timedelta(7), **(initial or {})}
        )
        test_field = self.fields["test"]
        assert isinstance(test_field, forms.ModelChoiceField)  # noqa: S101
        test_field.queryset = Test.objects.filter(client_id=client_id)
        if self["test"].value():
            # From a test, the infection to confirm is the test's own.
            self.fields["disease"].widget = forms.HiddenInput()


class CompletionForm(forms.Form):
    completed_on = forms.DateField(
        label=_("The client reached the service on"),
        widget=date_input(),
    )
    confirmation = forms.ChoiceField(
        label=_("How do you know?"),
        choices=Referral.Confirmation.choices,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(label=_("Result"), required=False)

    def __init__(
        self, data: QueryDict | None = None, *, referral: Referral, today: datetime.date
    ) -> None:
        super().__init__(data, initial={"completed_on": today})
        kinds = OUTCOMES.get((referral.target, referral.disease), set())
        outcome_field = self.fields["outcome"]
        assert isinstance(outcome_field, forms.ChoiceField)  # noqa: S101
        outcome_field.choices = [("", _("Not known yet"))] + [
            (kind.value, kind.label) for kind in Milestone.Kind if kind in kinds
        ]
        self.has_outcomes = bool(kinds)


class OutcomeForm(KeyedForm):
    kind = forms.ChoiceField(label=_("Outcome"), choices=Milestone.Kind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=date_input())


class ArtCourseForm(KeyedForm):
    regimen = forms.CharField(
        label=_("Regimen"),
        max_length=MAX_REGIMEN_LENGTH,
        widget=forms.TextInput(attrs={"list": "regimens", "autocomplete": "off"}),
    )
    started_on = forms.DateField(label=_("ART started on"), widget=date_input())
    days_per_supply = forms.IntegerField(
        label=_("Days supplied per delivery"), min_value=1, max_value=MAX_SUPPLY_DAYS, initial=30
    )
    next_due_on = forms.DateField(label=_("Next supply due on"), widget=date_input())


class DeliveryForm(KeyedForm):
    days_supplied = forms.IntegerField(
        label=_("Days supplied"), min_value=1, max_value=MAX_SUPPLY_DAYS
    )


class CascadeForm(PeriodForm):
    longest_days = MAX_PERIOD_DAYS

    class Scope:
        SITE = "site"
        ORG = "org"

    disease = forms.ChoiceField(
        label=_("Cascade"),
        choices=[(Disease.HIV, _("HIV")), (Disease.HCV, _("HCV"))],
        initial=Disease.HIV,
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=[(Scope.SITE, _("This site")), (Scope.ORG, _("The whole organisation"))],
        initial=Scope.SITE,
    )

    def __init__(self, data: Mapping[str, object] | None = None) -> None:
        super().__init__(data)
        # The period's date boxes come from PeriodForm: show them in ISO too.
        for name in ("first", "last"):
            widget = self.fields[name].widget
            assert isinstance(widget, forms.DateInput)  # noqa: S101
            widget.format = ISO_DATE
