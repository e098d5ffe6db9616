import uuid
from collections.abc import Sequence

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.contacts.actions import MAX_LINE_QUANTITY, MAX_RETURNED, Handout
from outpost.core.choices import Channel
from outpost.orgs.models import Site


class ContactForm(forms.Form):
    """What was given and done at one contact, on one screen (SPEC §2).

    Kits are ticked (one each); single items take a count.
    """

    kits = forms.ModelMultipleChoiceField(
        label=_("Kits"),
        queryset=Kit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=ServiceType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    syringes_returned = forms.IntegerField(
        label=_("Used syringes returned"), min_value=0, max_value=MAX_RETURNED, initial=0
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, site: Site, items: Sequence[Item], **kwargs: object) -> None:
        kwargs.setdefault(
            "initial", {"channel": site.default_channel, "idempotency_key": uuid.uuid4()}
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        org_id = site.org_id
        kits_field = self.fields["kits"]
        services_field = self.fields["services"]
        assert isinstance(kits_field, forms.ModelMultipleChoiceField)  # noqa: S101
        assert isinstance(services_field, forms.ModelMultipleChoiceField)  # noqa: S101
        kits_field.queryset = Kit.objects.filter(org_id=org_id, is_active=True).prefetch_related(
            "components__item__category"
        )
        services_field.queryset = ServiceType.objects.filter(org_id=org_id, is_active=True)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=item.display_name,
                min_value=0,
                max_value=MAX_LINE_QUANTITY,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
            )

    def full_clean(self) -> None:
        super().full_clean()
        if self.has_error("idempotency_key") and isinstance(self.data, QueryDict):
            # A missing or broken key would fail every resubmission of the
            # page; nothing was saved under it, so offer a new one.
            data = self.data.copy()
            data["idempotency_key"] = str(uuid.uuid4())
            self.data = data

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{item.pk}"] for item in self.items]

    def handout(self) -> Handout:
        data = self.cleaned_data
        return Handout(
            kits=[(kit, 1) for kit in data["kits"]],
            items=[
                (item, data[f"item_{item.pk}"])
                for item in self.items
                if data.get(f"item_{item.pk}")
            ],
            services=list(data["services"]),
        )
