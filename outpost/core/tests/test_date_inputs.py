"""Date boxes show their defaults in every language (B2 of the walk-through)."""

import datetime

from django import forms
from django.test import SimpleTestCase
from django.utils import translation


class DateBox(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class DateInputTests(SimpleTestCase):
    def test_a_default_date_is_written_in_iso_form_in_every_language(self) -> None:
        for language in ("uk", "ru", "en"):
            with self.subTest(language=language), translation.override(language):
                html = str(DateBox(initial={"day": datetime.date(2026, 3, 9)})["day"])
                self.assertIn('value="2026-03-09"', html)

    def test_a_date_typed_in_the_local_style_is_still_understood(self) -> None:
        with translation.override("uk"):
            form = DateBox({"day": "09.03.2026"})
            self.assertTrue(form.is_valid())
            self.assertEqual(form.cleaned_data["day"], datetime.date(2026, 3, 9))
