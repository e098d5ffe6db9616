"""Forms for the report settings: the package, donor codes and population estimates.

The organisation comes from the membership and is never a form field;
choices of service types and sites are limited to the organisation's own,
so another organisation's id is refused as an invalid choice.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from outpost.orgs.models import Site
from outpost.reports.actions import MINIMUM_MAX, Component
from outpost.reports.definitions import INDICATORS, MEASURES_BY_ID
from outpost.reports.models import IndicatorCode, PopulationEstimate

if TYPE_CHECKING:
    PopulationEstimateFormBase = forms.ModelForm[PopulationEstimate]
    ComponentFormSetBase = forms.BaseFormSet["ComponentForm"]
    SiteChoiceFieldBase = forms.ModelMultipleChoiceField[Site]
else:
    # django-stubs' generics are not subscriptable at run time.
    PopulationEstimateFormBase = forms.ModelForm
    ComponentFormSetBase = forms.BaseFormSet
    SiteChoiceFieldBase = forms.ModelMultipleChoiceField

Choices = Sequence[tuple[str, str]]
PEOPLE_MAX = 10_000_000
# Blank rows under the components, for adding without a script.
SPARE_COMPONENTS = 2
MOST_COMPONENTS = 20


class PackageForm(forms.Form):
    name = forms.CharField(label=_("Name of the package"), max_length=100)


class ComponentForm(forms.Form):
    """One component: some item categories with a minimum, or one service."""

    categories = forms.MultipleChoiceField(
        label=_("Items of these categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    minimum = forms.IntegerField(
        label=_("At least this many units, summed over the period"),
        min_value=1,
        max_value=MINIMUM_MAX,
        required=False,
    )
    service_type = forms.TypedChoiceField(
        label=_("Or this service"), required=False, coerce=int, empty_value=None
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        categories = data.get("categories") or []
        service = data.get("service_type")
        if categories and service is not None:
            raise forms.ValidationError(
                _("Choose item categories or a service, not both."), code="both"
            )
        if data.get("minimum") is not None and not categories and service is None:
            raise forms.ValidationError(
                _("Tick the item categories this minimum counts."), code="no_categories"
            )
        return data

    def component(self) -> Component | None:
        """What the row asks for, or None for a blank or removed row."""
        data = self.cleaned_data
        if not data or data.get("DELETE"):
            return None
        categories = frozenset(data.get("categories") or [])
        service = data.get("service_type")
        if categories:
            # A blank minimum reads as "at least one".
            return Component(categories=categories, minimum=data.get("minimum") or 1)
        if isinstance(service, int):
            return Component(service_type_id=service)
        return None


class ComponentFormSet(ComponentFormSetBase):
    """The package's components; choices come from the organisation's catalogue.

    Spare blank rows let a manager add components without a script; a blank
    or ticked-for-removal row is left out.
    """

    form = ComponentForm
    extra = SPARE_COMPONENTS
    can_order = False
    can_delete = True
    can_delete_extra = True
    min_num = 0
    max_num = MOST_COMPONENTS
    absolute_max = MOST_COMPONENTS
    validate_min = False
    validate_max = True
    renderer = None

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        initial: Sequence[Mapping[str, object]] | None = None,
        category_choices: Choices,
        service_choices: Choices,
    ) -> None:
        self.category_choices = list(category_choices)
        self.service_choices = [("", "—"), *service_choices]
        # A posted row is read as posted: compared with the starting rows, a
        # spare row typed to equal one of them would count as unchanged.
        starting = initial if data is None else None
        super().__init__(data, initial=starting, prefix="components")

    def add_fields(self, form: ComponentForm, index: int | None) -> None:
        super().add_fields(form, index)
        for name, choices in (
            ("categories", self.category_choices),
            ("service_type", self.service_choices),
        ):
            field = form.fields[name]
            if isinstance(field, forms.ChoiceField):
                field.choices = choices

    def clean(self) -> None:
        if any(self.errors):
            return
        components = self.components()
        if not components:
            raise forms.ValidationError(_("A package needs at least one component."), code="empty")
        identities = [part.service_type_id or part.categories for part in components]
        if len(set(identities)) != len(identities):
            raise forms.ValidationError(
                _("The same component is in the package twice."), code="duplicate"
            )

    def components(self) -> list[Component]:
        rows = (form.component() for form in self.forms)
        return [row for row in rows if row is not None]


def indicator_choices() -> list[tuple[str, str]]:
    return [(indicator, str(MEASURES_BY_ID[indicator].name)) for indicator in INDICATORS]


class IndicatorCodeForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=indicator_choices)
    code = forms.CharField(label=_("Donor code"), max_length=40)
    label = forms.CharField(label=_("Donor's wording"), max_length=200, required=False)

    def __init__(self, data: QueryDict | None = None, *, org_id: int) -> None:
        super().__init__(data)
        self.org_id = org_id

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if "indicator" not in data or "code" not in data:
            return data
        same = IndicatorCode.objects.filter(
            org_id=self.org_id, indicator=data["indicator"], code=data["code"]
        )
        if same.exists():
            raise forms.ValidationError(
                _("This indicator already has this donor code."), code="unique"
            )
        return data


class SiteChoiceField(SiteChoiceFieldBase):
    def label_from_instance(self, obj: Site) -> str:
        return obj.name


class PopulationEstimateForm(PopulationEstimateFormBase):
    people = forms.IntegerField(
        label=_("People who inject drugs"), min_value=1, max_value=PEOPLE_MAX
    )
    sites = SiteChoiceField(
        label=_("Sites serving this area"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PopulationEstimate
        fields = ["area", "people", "source", "sites"]
        help_texts = {
            "source": _("Where the figure comes from, for example a national estimate and year."),
        }

    def __init__(self, data: QueryDict | None = None, *, instance: PopulationEstimate) -> None:
        super().__init__(data, instance=instance)
        field = self.fields["sites"]
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.queryset = Site.objects.filter(org_id=instance.org_id).order_by("name")

    def clean_area(self) -> str:
        area: str = self.cleaned_data["area"].strip()
        same = PopulationEstimate.objects.filter(org_id=self.instance.org_id, area__iexact=area)
        if self.instance.pk is not None:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise forms.ValidationError(
                _("Your organisation already has an estimate for this area."), code="unique"
            )
        return area
