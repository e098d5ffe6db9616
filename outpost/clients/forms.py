import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from outpost.clients.models import PopulationGroup
from outpost.clients.uic import UICParts, build_parts, fold_name, parse_uic
from outpost.core.choices import Sex

# Browsers keep typed values for autofill; on a shared or seized device that
# history would hold what Outpost itself never stores.
PRIVATE_INPUT = {"autocomplete": "off", "spellcheck": "false"}

NAME_HELP = _(
    "Only the first two letters are used, and the name is not kept. Leave empty if unknown."
)


class CodeForm(forms.Form):
    """A code typed at the window, in Latin or Cyrillic letters."""

    code = forms.CharField(label=_("Client code"), max_length=40)

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.today = today

    def clean_code(self) -> UICParts:
        return parse_uic(self.cleaned_data["code"], today=self.today)


class RegistrationForm(forms.Form):
    """The parts of a new client's code (SPEC §1.1); names are never stored."""

    mother_name = forms.CharField(
        label=_("Mother's first name"),
        max_length=60,
        required=False,
        help_text=NAME_HELP,
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
    father_name = forms.CharField(
        label=_("Father's first name"),
        max_length=60,
        required=False,
        help_text=NAME_HELP,
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    groups = forms.MultipleChoiceField(
        label=_("Groups"),
        choices=PopulationGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, today: datetime.date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.today = today

    def clean_mother_name(self) -> str:
        return fold_name(self.cleaned_data["mother_name"] or None)

    def clean_father_name(self) -> str:
        return fold_name(self.cleaned_data["father_name"] or None)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            # The names were folded above; folding two letters again is a no-op.
            self.parts = build_parts(
                cleaned["mother_name"],
                cleaned["father_name"],
                cleaned["sex"],
                cleaned["birth_date"],
                today=self.today,
            )
        except ValidationError as error:
            self.add_error("birth_date", error)
        return cleaned

    def preview_code(self) -> str:
        """The code so far, with ``_`` for parts not given yet."""
        data = self.data
        mother = _preview_part(data.get("mother_name", ""))
        father = _preview_part(data.get("father_name", ""))
        sex = data.get("sex", "") if data.get("sex", "") in Sex.values else "_"
        try:
            birth = datetime.date.fromisoformat(data.get("birth_date", ""))
            digits = f"{birth.day:02d}{birth.month:02d}{birth.year:04d}"
        except ValueError:
            digits = "_" * 8
        return f"{mother}{father}{sex}{digits}"


def _preview_part(name: str) -> str:
    try:
        return fold_name(name or None)
    except ValidationError:
        return "??"


class ContactDetailsForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={**PRIVATE_INPUT, "inputmode": "tel"}),
    )
    telegram = forms.CharField(
        label=_("Telegram name"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs=PRIVATE_INPUT),
    )
