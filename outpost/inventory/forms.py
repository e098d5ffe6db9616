import datetime
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.inventory.actions import MAX_QUANTITY


class ReceiptForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    lot = forms.CharField(label=_("Lot"), max_length=60, required=False)
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, org_id: int, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"idempotency_key": uuid.uuid4()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        item_field = self.fields["item"]
        assert isinstance(item_field, forms.ModelChoiceField)  # noqa: S101
        item_field.queryset = Item.objects.filter(org_id=org_id, is_active=True).select_related(
            "category"
        )

    def clean_expires_on(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data["expires_on"]
        if value is not None and value.year < 2000:
            raise forms.ValidationError(_("That expiry date is not possible."))
        return value
