"""Forms for the manager's catalogue pages.

Every form takes an instance whose ``org`` is already set from the
membership; ``org`` is never a form field. Names are checked against the
organisation's other rows here, so a clash is a form error rather than an
IntegrityError from the unique constraints.
"""

from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, ItemCategory, Kit, KitComponent, ServiceType

if TYPE_CHECKING:
    ItemFormBase = forms.ModelForm[Item]
    KitFormBase = forms.ModelForm[Kit]
    KitComponentFormBase = forms.ModelForm[KitComponent]
    ServiceTypeFormBase = forms.ModelForm[ServiceType]
    KitComponentFormSetBase = BaseInlineFormSet[KitComponent, Kit, "KitComponentForm"]
else:
    # django-stubs' generics are not subscriptable at run time.
    ItemFormBase = KitFormBase = KitComponentFormBase = ServiceTypeFormBase = forms.ModelForm
    KitComponentFormSetBase = BaseInlineFormSet

M = TypeVar("M", bound=Model)

QUANTITY_MAX = 1000


def _handed_out(item: Item) -> bool:
    # Looked up by name: contacts build on the catalogue, not the reverse.
    contact_item = apps.get_model("contacts", "ContactItem")
    return bool(contact_item.objects.filter(item_id=item.pk).exists())


def _is_taken(queryset: QuerySet[M], instance: M) -> bool:
    """Whether another row than ``instance`` matches ``queryset``."""
    if instance.pk is not None:
        queryset = queryset.exclude(pk=instance.pk)
    return queryset.exists()


class ItemForm(ItemFormBase):
    class Meta:
        model = Item
        fields = ["name", "category", "is_active"]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        same = Item.objects.filter(org_id=self.instance.org_id, name__iexact=name)
        if _is_taken(same, self.instance):
            raise forms.ValidationError(
                _("Your organisation already has an item with this name."), code="unique"
            )
        return name

    def clean_category(self) -> ItemCategory:
        category: ItemCategory = self.cleaned_data["category"]
        changed = self.instance.pk is not None and category.pk != self.instance.category_id
        if changed and _handed_out(self.instance):
            raise forms.ValidationError(
                _(
                    "This item has been handed out, and reports count it by its category. "
                    "Make a new item in the other category instead."
                ),
                code="handed_out",
            )
        return category


class KitForm(KitFormBase):
    class Meta:
        model = Kit
        fields = ["name", "is_active"]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        same = Kit.objects.filter(org_id=self.instance.org_id, name__iexact=name)
        if _is_taken(same, self.instance):
            raise forms.ValidationError(
                _("Your organisation already has a kit with this name."), code="unique"
            )
        return name


class KitComponentForm(KitComponentFormBase):
    quantity = forms.IntegerField(
        label=capfirst(_("quantity")), min_value=1, max_value=QUANTITY_MAX
    )

    class Meta:
        model = KitComponent
        fields = ["item", "quantity"]


class BaseKitComponentFormSet(KitComponentFormSetBase):
    """Components of one kit, choosing only from the kit's organisation."""

    def add_fields(self, form: KitComponentForm, index: int | None) -> None:
        super().add_fields(form, index)
        field = form.fields["item"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = self.item_choices()

    def item_choices(self) -> QuerySet[Item]:
        """The organisation's items in use, plus any retired one the kit holds."""
        kit = self.instance
        in_use = Q(is_active=True)
        if kit.pk is not None:
            in_use |= Q(pk__in=kit.components.values("item_id"))
        return Item.objects.filter(in_use, org_id=kit.org_id)


KitComponentFormSet = inlineformset_factory(
    Kit,
    KitComponent,
    form=KitComponentForm,
    formset=BaseKitComponentFormSet,
    fields=["item", "quantity"],
    extra=2,
    min_num=1,
    validate_min=True,
    can_delete=True,
)


class ServiceTypeForm(ServiceTypeFormBase):
    class Meta:
        model = ServiceType
        fields = ["name", "code", "is_active"]
        help_texts = {
            "code": _(
                "Short label with lower-case letters, digits, hyphens or underscores. "
                "It cannot change later."
            ),
        }

    def __init__(self, data: QueryDict | None = None, *, instance: ServiceType) -> None:
        super().__init__(data, instance=instance)
        if instance.pk is not None:
            # Reports and packages refer to a service by its code, so the
            # code stays as it was made; retire the type and add a new one.
            self.fields["code"].disabled = True

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        same = ServiceType.objects.filter(org_id=self.instance.org_id, name__iexact=name)
        if _is_taken(same, self.instance):
            raise forms.ValidationError(
                _("Your organisation already has a service type with this name."),
                code="unique",
            )
        return name

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        same = ServiceType.objects.filter(org_id=self.instance.org_id, code__iexact=code)
        if _is_taken(same, self.instance):
            raise forms.ValidationError(
                _("Your organisation already has a service type with this code."),
                code="unique",
            )
        return code
