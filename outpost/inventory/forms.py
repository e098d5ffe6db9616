import datetime
import uuid
from collections.abc import Mapping, Sequence
from typing import Protocol

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, ItemCategory, Kit
from outpost.core.periods import Period
from outpost.inventory.actions import MAX_QUANTITY
from outpost.inventory.ledger import Line
from outpost.inventory.models import (
    Location,
    StockMovement,
    StockOrder,
    StocktakeLine,
    TransferLine,
)
from outpost.inventory.policies import MAX_DAYS, PolicyDays
from outpost.inventory.reports import (
    MAX_YEARS,
    Preset,
    earliest_start,
    preset_period,
)
from outpost.orgs.models import Site, User


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


# Movements: transfers, kits, adjustments and counts (movement_views).


class LotLike(Protocol):
    """What a lot choice shows of a balance; a StockBalance fits."""

    @property
    def lot(self) -> str: ...
    @property
    def expires_on(self) -> datetime.date | None: ...
    @property
    def quantity(self) -> int: ...


# A lot choice's value carries a prefix, so that stock with no lot number
# ("") stays apart from "first to expire" (the empty choice).
LOT_PREFIX = "lot:"


def lot_choices(balances: Sequence[LotLike]) -> list[tuple[str, str]]:
    """Choices of a lot to take from, the first to expire first."""
    choices = [("", str(_("First to expire")))]
    for balance in balances:
        values = {
            "lot": balance.lot or _("no lot number"),
            "date": date_format(balance.expires_on) if balance.expires_on else "—",
            "count": balance.quantity,
        }
        choices.append(
            (
                LOT_PREFIX + balance.lot,
                _("%(lot)s · expires %(date)s · %(count)d on hand") % values,
            )
        )
    return choices


def chosen_lot(value: str) -> str | None:
    """The lot a choice names, or None for the first to expire."""
    return value.removeprefix(LOT_PREFIX) if value.startswith(LOT_PREFIX) else None


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]  # any model
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
    return field


class TransferForm(forms.Form):
    """Stock sent from one place: a count per item it holds, and where to."""

    destination = forms.ModelChoiceField(label=_("Send to"), queryset=Location.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    received_now = forms.BooleanField(
        label=_("Arrived now (I am loading it myself)"), required=False
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: object,
        source: Location,
        destinations: Sequence[Location],
        stock: Sequence[tuple[Item, Sequence[LotLike]]],
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("initial", {"idempotency_key": uuid.uuid4()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        destination = _model_choice(self, "destination")
        # Any place of the organisation passes the form, so that the action
        # answers a send to the same or a closed place with its own message;
        # the list offers only the places stock can go to.
        destination.queryset = Location.objects.filter(org_id=source.org_id)
        destination.widget.choices = [("", "---------")] + [
            (place.pk, place.name) for place in destinations
        ]
        self.stock = list(stock)
        for item, lots in self.stock:
            self.fields[f"count_{item.pk}"] = forms.IntegerField(
                label=item.display_name,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
            )
            if len(lots) > 1:
                self.fields[f"lot_{item.pk}"] = forms.ChoiceField(
                    label=_("Lot"), choices=lot_choices(lots), required=False
                )

    def rows(self) -> list[tuple[Item, int, forms.BoundField, forms.BoundField | None]]:
        """Each item with its usable count, its count field and any lot field."""
        return [
            (
                item,
                sum(lot.quantity for lot in lots),
                self[f"count_{item.pk}"],
                self[f"lot_{item.pk}"] if f"lot_{item.pk}" in self.fields else None,
            )
            for item, lots in self.stock
        ]

    def lines(self) -> list[Line]:
        """The items to send; a blank or zero count sends nothing of that item."""
        data = self.cleaned_data
        return [
            Line(item, data[f"count_{item.pk}"], chosen_lot(data.get(f"lot_{item.pk}") or ""))
            for item, _lots in self.stock
            if data.get(f"count_{item.pk}")
        ]


class TransferReceiptForm(forms.Form):
    """What arrived of each line, prefilled with what was sent."""

    def __init__(self, *args: object, lines: Sequence[TransferLine], **kwargs: object) -> None:
        kwargs.setdefault("initial", {f"line_{line.pk}": line.sent for line in lines})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.item.display_name,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def rows(self) -> list[tuple[TransferLine, forms.BoundField]]:
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]

    def received(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines}


class AssemblyForm(forms.Form):
    kit = forms.ModelChoiceField(label=_("Kit"), queryset=Kit.objects.none())
    count = forms.IntegerField(
        label=_("Kits to pack"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, org_id: int, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"idempotency_key": uuid.uuid4()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        _model_choice(self, "kit").queryset = Kit.objects.filter(org_id=org_id, is_active=True)


class AdjustmentForm(forms.Form):
    """One lot corrected by hand, always with a reason."""

    ADD = "add"
    REMOVE = "remove"
    NEW_LOT = "new"

    stock = forms.ChoiceField(label=_("Stock"))
    item = forms.ModelChoiceField(
        label=_("Item"),
        queryset=Item.objects.none(),
        required=False,
        help_text=_("For a new lot only."),
    )
    lot = forms.CharField(
        label=_("New lot number"),
        max_length=60,
        required=False,
        help_text=_("For a new lot only."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a new lot only."),
    )
    direction = forms.ChoiceField(
        label=_("Change"),
        choices=[(ADD, _("Add")), (REMOVE, _("Remove"))],
        widget=forms.RadioSelect,
        initial=REMOVE,
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "---------"), *StockMovement.Reason.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: object, org_id: int, lots: Mapping[str, str], **kwargs: object
    ) -> None:
        kwargs.setdefault("initial", {"idempotency_key": uuid.uuid4()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        stock = self.fields["stock"]
        assert isinstance(stock, forms.ChoiceField)  # noqa: S101
        stock.choices = [
            ("", "---------"),
            *lots.items(),
            (self.NEW_LOT, _("A new lot (found stock)")),
        ]
        _model_choice(self, "item").queryset = Item.objects.filter(
            org_id=org_id, is_active=True
        ).select_related("category")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("stock") == self.NEW_LOT and data.get("item") is None:
            self.add_error("item", _("Choose the item of the new lot."))
        reason, direction = data.get("reason"), data.get("direction")
        if reason == StockMovement.Reason.FOUND and direction == self.REMOVE:
            self.add_error("direction", _("Found stock is added."))
        lost = {
            StockMovement.Reason.LOSS,
            StockMovement.Reason.DAMAGE,
            StockMovement.Reason.EXPIRY,
        }
        if reason in lost and direction == self.ADD:
            self.add_error("direction", _("Lost, damaged or expired stock is removed."))
        return data


class CountSheetForm(forms.Form):
    """A number per line of a count sheet; blank means not counted yet."""

    def __init__(self, *args: object, lines: Sequence[StocktakeLine], **kwargs: object) -> None:
        kwargs.setdefault("initial", {f"line_{line.pk}": line.counted for line in lines})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.item.display_name,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def rows(self) -> list[tuple[StocktakeLine, forms.BoundField]]:
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]

    def counts(self) -> dict[int, int | None]:
        return {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines}


class CountLineForm(forms.Form):
    """Stock found that the sheet does not list."""

    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    lot = forms.CharField(label=_("Lot"), max_length=60, required=False)
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    counted = forms.IntegerField(
        label=_("Counted"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )

    def __init__(self, *args: object, org_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        _model_choice(self, "item").queryset = Item.objects.filter(
            org_id=org_id, is_active=True
        ).select_related("category")


# The stock pages: receipts against an order, locations, forecast settings
# and orders.


def _choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]  # any model
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
    return field


def _sensible_date(value: datetime.date | None) -> datetime.date | None:
    if value is not None and not 2000 <= value.year <= 2100:
        raise forms.ValidationError(_("That date is not possible."))
    return value


class _OrderChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: StockOrder) -> str:
        return str(
            _("%(units)d × %(item)s, ordered %(date)s")
            % {"units": obj.outstanding, "item": obj.item.display_name, "date": obj.ordered_on}
        )


class _HolderChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class LocationReceiptForm(ReceiptForm):
    """A delivery into one location, counted against one of its open orders if picked."""

    order = _OrderChoiceField(
        label=_("Against order"),
        queryset=StockOrder.objects.none(),
        required=False,
        empty_label=_("No order"),
        help_text=_("Pick the order this delivery fills, so it no longer counts as on order."),
    )
    field_order = ["order"]

    def __init__(self, *args: object, location: Location, **kwargs: object) -> None:
        super().__init__(*args, org_id=location.org_id, **kwargs)
        order_field = _choice_field(self, "order")
        order_field.queryset = (
            StockOrder.objects.filter(location=location, status=StockOrder.Status.OPEN)
            .select_related("item")
            .order_by("ordered_on", "pk")
        )


class LocationForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs: ModelForm[Location] breaks Meta
    class Meta:
        model = Location
        fields = [
            "name",
            "kind",
            "site",
            "holder",
            "lead_time_days",
            "safety_days",
            "review_days",
            "is_active",
        ]
        field_classes = {"holder": _HolderChoiceField}

    def __init__(self, *args: object, org_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        _choice_field(self, "site").queryset = Site.objects.filter(org_id=org_id)
        holder = _choice_field(self, "holder")
        holder.queryset = User.objects.filter(memberships__org_id=org_id, is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        for name in ("lead_time_days", "safety_days", "review_days"):
            field = self.fields[name]
            assert isinstance(field, forms.IntegerField)  # noqa: S101
            field.max_value = MAX_DAYS
            field.validators.append(MaxValueValidator(MAX_DAYS))
            field.widget.attrs["max"] = MAX_DAYS

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        same = Location.objects.filter(org_id=self.instance.org_id, name__iexact=name)
        if same.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("Your organisation already has a stock location with this name."),
                code="unique",
            )
        return name

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        kind = data.get("kind")
        carried = (Location.Kind.COURIER_BAG, Location.Kind.CAR)
        if data.get("holder") is not None and kind not in carried:
            self.add_error("holder", _("Only a courier bag or a staff car has a holder."))
        if kind == Location.Kind.COURIER_BAG and data.get("holder") is None:
            self.add_error("holder", _("Say whose bag this is."))
        if kind == Location.Kind.STORE and data.get("site") is None:
            self.add_error("site", _("A store belongs to a site."))
        return data


class StockPolicyForm(forms.Form):
    """Lead time, safety margin and review period per item; empty follows the location."""

    def __init__(
        self, *args: object, location: Location, items: Sequence[Item], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.items = list(items)
        defaults = {
            "lead": location.lead_time_days,
            "safety": location.safety_days,
            "review": location.review_days,
        }
        for item in self.items:
            for prefix, default in defaults.items():
                self.fields[f"{prefix}_{item.pk}"] = forms.IntegerField(
                    label=item.display_name,
                    required=False,
                    min_value=0,
                    max_value=MAX_DAYS,
                    widget=forms.NumberInput(attrs={"placeholder": default, "class": "days"}),
                )

    def rows(self) -> list[tuple[Item, list[forms.BoundField]]]:
        return [
            (item, [self[f"{prefix}_{item.pk}"] for prefix in ("lead", "safety", "review")])
            for item in self.items
        ]

    def days(self) -> dict[int, PolicyDays]:
        data = self.cleaned_data
        return {
            item.pk: PolicyDays(
                lead_time_days=data[f"lead_{item.pk}"],
                safety_days=data[f"safety_{item.pk}"],
                review_days=data[f"review_{item.pk}"],
            )
            for item in self.items
        }


class OrderForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    expected_on = forms.DateField(
        label=_("Expected on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        org_id: int,
        initial: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(data, initial={"idempotency_key": uuid.uuid4(), **(initial or {})})
        _choice_field(self, "item").queryset = Item.objects.filter(
            org_id=org_id, is_active=True
        ).select_related("category")

    def clean_expected_on(self) -> datetime.date | None:
        return _sensible_date(self.cleaned_data["expected_on"])


# The stock report (report_views).


class StockReportForm(forms.Form):
    """The period, places and items of the stock report; every field may be left out.

    A preset names its own dates; "dates below" takes them from the form. A
    period may not start after today, and one that runs past today ends
    today: the stock of days to come is not known.
    """

    period = forms.ChoiceField(label=_("Period"), choices=Preset.choices, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    location = forms.MultipleChoiceField(
        label=_("Locations (none ticked: all)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.ChoiceField(label=_("Items"), required=False)

    def __init__(
        self,
        data: Mapping[str, object] | None,
        *,
        locations: Sequence[Location],
        categories: Sequence[ItemCategory],
        today: datetime.date,
    ) -> None:
        super().__init__(data)
        self.today = today
        self.locations = {str(location.pk): location for location in locations}
        self.categories = {category.code: category for category in categories}
        _plain_choice_field(self, "location").choices = [
            (key, _location_label(location)) for key, location in self.locations.items()
        ]
        _plain_choice_field(self, "category").choices = [("", _("All items"))] + [
            (code, category.display_name) for code, category in self.categories.items()
        ]
        period = preset_period(Preset.THIS_MONTH, today=today)
        self.initial = {"period": Preset.THIS_MONTH, "start": period.first, "end": period.last}

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if cleaned is None or self.errors:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        preset = cleaned.get("period") or (Preset.CUSTOM if start or end else Preset.THIS_MONTH)
        if preset != Preset.CUSTOM:
            cleaned["dates"] = preset_period(str(preset), today=self.today)
            return cleaned
        if not isinstance(start, datetime.date):
            raise forms.ValidationError(_("Choose the first day of the period."))
        if not isinstance(end, datetime.date) or end > self.today:
            end = self.today
        if start > self.today:
            raise forms.ValidationError(_("The period cannot start after today."))
        if start > end:
            raise forms.ValidationError(_("The period must not end before it starts."))
        if start < earliest_start(end):
            raise forms.ValidationError(
                _("A report covers at most %(years)d years.") % {"years": MAX_YEARS}
            )
        cleaned["dates"] = Period(start, end)
        return cleaned

    def report_scope(self) -> tuple[Period, list[Location], ItemCategory | None]:
        """The period, the chosen locations (or all) and the category.

        An unbound form gives this month at every location; a bound one
        must be valid.
        """
        if not self.is_bound:
            period = preset_period(Preset.THIS_MONTH, today=self.today)
            return period, list(self.locations.values()), None
        data = self.cleaned_data
        chosen = [self.locations[key] for key in data["location"]]
        category = self.categories.get(data["category"]) if data["category"] else None
        return data["dates"], chosen or list(self.locations.values()), category


def _location_label(location: Location) -> str:
    if location.is_active:
        return location.name
    return str(_("%(name)s (not in use)")) % {"name": location.name}


def _plain_choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101
    return field
