import datetime
import uuid
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, Kit
from outpost.clients.forms import PRIVATE_INPUT
from outpost.clients.uic import parse_uic
from outpost.contacts.actions import MAX_LINE_QUANTITY
from outpost.core.choices import Channel
from outpost.delivery.actions import MAX_PLACE, MAX_REACH, REQUEST_CHANNELS, OrderRequest, Window
from outpost.delivery.models import DeliveryOrder
from outpost.orgs.models import User
from outpost.testing.models import ArtCourse


def _count_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"})


class WindowForm(forms.Form):
    """A day and the hours in which the person expects the courier."""

    window_date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    window_starts = forms.TimeField(
        label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    window_ends = forms.TimeField(
        label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial",
            {
                "window_date": today,
                "window_starts": datetime.time(12),
                "window_ends": datetime.time(18),
                "idempotency_key": uuid.uuid4(),
            },
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature

    def window(self) -> Window:
        data = self.cleaned_data
        return Window(data["window_date"], data["window_starts"], data["window_ends"])


class OrderForm(WindowForm):
    """An order taken by phone or messenger: what, for whom, where, when."""

    client_code = forms.CharField(
        label=_("Client code"),
        required=False,
        max_length=40,
        help_text=_("Leave empty for a new anonymous requester."),
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
    place_kind = forms.ChoiceField(
        label=_("Where"),
        choices=DeliveryOrder.PlaceKind.choices,
        initial=DeliveryOrder.PlaceKind.MEETING_POINT,
        widget=forms.RadioSelect,
    )
    place = forms.CharField(
        label=_("Address or meeting point"),
        max_length=MAX_PLACE,
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
    reach = forms.CharField(
        label=_("How to reach the person"),
        max_length=MAX_REACH,
        help_text=_("A phone number, a messenger name or a word to ask for."),
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
    requested_via = forms.ChoiceField(
        label=_("Order came by"),
        choices=[(value, label) for value, label in Channel.choices if value in REQUEST_CHANNELS],
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
    )
    art_days = forms.IntegerField(
        label=_("Days of ART supplied"), min_value=1, max_value=180, required=False
    )

    field_order = [
        "client_code",
        "place_kind",
        "place",
        "reach",
        "window_date",
        "window_starts",
        "window_ends",
        "requested_via",
    ]

    def __init__(
        self,
        *args: object,
        today: datetime.date,
        kits: Sequence[Kit],
        items: Sequence[Item],
        art_course: ArtCourse | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, today=today, **kwargs)
        self.today = today
        self.art_course = art_course
        if art_course is None:
            del self.fields["art_days"]
        else:
            self.initial.setdefault("art_days", art_course.days_per_supply)
            del self.fields["client_code"]
        self.kits = list(kits)
        self.items = list(items)
        for kit in self.kits:
            self.fields[f"kit_{kit.pk}"] = self._count_field(kit.display_name)
        for item in self.items:
            self.fields[f"item_{item.pk}"] = self._count_field(item.display_name)

    def clean_client_code(self) -> str:
        """The code in its stored form, whatever alphabet or spacing was typed."""
        typed: str = self.cleaned_data["client_code"]
        return parse_uic(typed, today=self.today).code if typed.strip() else ""

    @staticmethod
    def _count_field(label: str) -> forms.IntegerField:
        return forms.IntegerField(
            label=label,
            min_value=0,
            max_value=MAX_LINE_QUANTITY,
            required=False,
            widget=_count_input(),
        )

    def kit_fields(self) -> list[forms.BoundField]:
        return [self[f"kit_{kit.pk}"] for kit in self.kits]

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{item.pk}"] for item in self.items]

    def detail_fields(self) -> list[forms.BoundField]:
        counts = {f"kit_{kit.pk}" for kit in self.kits} | {f"item_{i.pk}" for i in self.items}
        return [field for field in self.visible_fields() if field.name not in counts]

    def order_request(self) -> OrderRequest:
        data = self.cleaned_data
        return OrderRequest(
            window=self.window(),
            place_kind=data["place_kind"],
            place=data["place"],
            reach=data["reach"],
            kits=[(kit, n) for kit in self.kits if (n := data.get(f"kit_{kit.pk}"))],
            items=[(item, n) for item in self.items if (n := data.get(f"item_{item.pk}"))],
            art_course=self.art_course,
            art_days=data.get("art_days"),
            requested_via=data["requested_via"],
        )


class AssignForm(forms.Form):
    courier = forms.ModelChoiceField(label=_("Courier"), queryset=User.objects.none())

    def __init__(self, *args: object, couriers: Sequence[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        field = self.fields["courier"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = User.objects.filter(pk__in=[user.pk for user in couriers]).order_by(
            "username"
        )


class DayForm(forms.Form):
    """The day a list shows, from its query string."""

    day = forms.DateField()


class FailForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why did it fail?"), choices=DeliveryOrder.FailureReason.choices
    )
