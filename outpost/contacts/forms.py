import uuid
from collections.abc import Mapping, Sequence

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.contacts.actions import MAX_LINE_QUANTITY, MAX_PEERS, MAX_RETURNED, Handout
from outpost.core.choices import Channel
from outpost.inventory.forms import LotLike, chosen_lot, lot_choices
from outpost.inventory.models import Location
from outpost.modes.policy import channel_choices, policy_at
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
    peers = forms.IntegerField(
        label=_("Peers the client takes supplies for"),
        min_value=0,
        max_value=MAX_PEERS,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
    )
    units_for_peers = forms.IntegerField(
        label=_("Units of it for peers"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: object,
        site: Site,
        items: Sequence[Item],
        stock_places: Sequence[Location] = (),
        stock_from: Location | None = None,
        lots: Mapping[int, Sequence[LotLike]] | None = None,
        **kwargs: object,
    ) -> None:
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
        self._offer_what_the_mode_allows(site)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=item.display_name,
                min_value=0,
                max_value=MAX_LINE_QUANTITY,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
            )
        self._offer_stock_places(stock_places, stock_from, lots or {})

    def _offer_what_the_mode_allows(self, site: Site) -> None:
        """Offer only the channels the site's operating mode allows (SPEC §6)."""
        policy = policy_at(site)
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)  # noqa: S101
        choices = channel_choices(policy)
        channel_field.choices = choices
        if choices and self.initial.get("channel") not in policy.channels:
            self.initial["channel"] = choices[0][0]
        if policy.is_closed:
            closed = _("%(site)s is closed: nothing is recorded here.") % {"site": site.name}
            channel_field.error_messages.update(required=closed, invalid_choice=closed)
            services_field = self.fields["services"]
            assert isinstance(services_field, forms.ModelMultipleChoiceField)  # noqa: S101
            services_field.queryset = ServiceType.objects.none()

    def full_clean(self) -> None:
        super().full_clean()
        if self.has_error("idempotency_key") and isinstance(self.data, QueryDict):
            # A missing or broken key would fail every resubmission of the
            # page; nothing was saved under it, so offer a new one.
            data = self.data.copy()
            data["idempotency_key"] = str(uuid.uuid4())
            self.data = data

    def peer_fields(self) -> list[forms.BoundField]:
        return [self["peers"], self["units_for_peers"]]

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
            lots={
                item.pk: lot
                for item in self.items
                if (lot := chosen_lot(data.get(f"lot_{item.pk}") or "")) is not None
            },
            peers=data.get("peers") or 0,
            units_for_peers=data.get("units_for_peers") or 0,
        )

    def _offer_stock_places(
        self,
        places: Sequence[Location],
        current: Location | None,
        lots: Mapping[int, Sequence[LotLike]],
    ) -> None:
        """Where the stock comes from, if the site has more than one place,
        and a lot choice for items with more than one usable lot there."""
        if len(places) > 1:
            self.fields["stock_from"] = forms.ModelChoiceField(
                label=_("Stock from"),
                queryset=Location.objects.filter(pk__in=[place.pk for place in places]),
                initial=current.pk if current else None,
                empty_label=None,
                required=False,
            )
            self.fields["stock_from"].widget.choices = [(place.pk, place.name) for place in places]
        self.stock_from_default = current if len(places) > 1 else None
        self.lot_items = [item for item in self.items if len(lots.get(item.pk, ())) > 1]
        for item in self.lot_items:
            self.fields[f"lot_{item.pk}"] = forms.ChoiceField(
                label=item.display_name, choices=lot_choices(lots[item.pk]), required=False
            )

    def stock_from_field(self) -> forms.BoundField | None:
        return self["stock_from"] if "stock_from" in self.fields else None

    def lot_fields(self) -> list[forms.BoundField]:
        return [self[f"lot_{item.pk}"] for item in self.lot_items]

    def stock_location(self) -> Location | None:
        """The place picked to hand out from; None for the site's store.

        A form sent without the choice (opened before the site had a second
        place) hands out from the place last used.
        """
        place: Location | None = self.cleaned_data.get("stock_from")
        return place or self.stock_from_default
