"""Date boxes show their value in ISO format whatever the language.

An ``<input type="date">`` only takes ``YYYY-MM-DD``; a value written the
local way (02.03.2026) shows as an empty box. German and French are not
languages of the app: they stand for any language whose own date format
differs, with or without the app's format modules.
"""

import datetime

from django import forms
from django.test import SimpleTestCase
from django.utils import translation

from outpost.contacts.models import ContactItem
from outpost.core.tests.base import TODAY
from outpost.testing.forms import (
    ArtCourseForm,
    CascadeForm,
    CompletionForm,
    OutcomeForm,
    ReferralForm,
    SelfTestResultForm,
)
from outpost.testing.models import Referral

LANGUAGES = ("uk", "ru", "en", "de", "fr")
NEXT_WEEK = TODAY + datetime.timedelta(7)


def forms_with_dates() -> list[tuple[forms.Form, str, datetime.date]]:
    """Each form of the app with a date box, the box and the date it shows."""
    return [
        (
            SelfTestResultForm(handouts=ContactItem.objects.none(), today=TODAY),
            "reported_on",
            TODAY,
        ),
        (ReferralForm(client_id=1, today=TODAY), "due_on", NEXT_WEEK),
        (CompletionForm(referral=Referral(target="tb"), today=TODAY), "completed_on", TODAY),
        (OutcomeForm(initial={"occurred_on": TODAY}), "occurred_on", TODAY),
        (ArtCourseForm(initial={"started_on": TODAY}), "started_on", TODAY),
        (ArtCourseForm(initial={"next_due_on": NEXT_WEEK}), "next_due_on", NEXT_WEEK),
        (CascadeForm({"first": TODAY, "last": NEXT_WEEK}), "first", TODAY),
        (CascadeForm({"first": TODAY, "last": NEXT_WEEK}), "last", NEXT_WEEK),
    ]


class DateInputTests(SimpleTestCase):
    def test_every_date_box_shows_its_value_in_iso_format_in_every_language(self) -> None:
        for language in LANGUAGES:
            with translation.override(language):
                for form, name, date in forms_with_dates():
                    with self.subTest(language=language, form=type(form).__name__, field=name):
                        html = str(form[name])
                        self.assertIn('type="date"', html)
                        self.assertIn(f'value="{date.isoformat()}"', html)

    def test_a_date_typed_in_iso_format_is_read_in_every_language(self) -> None:
        for language in LANGUAGES:
            with translation.override(language), self.subTest(language=language):
                form = CascadeForm(
                    {
                        "disease": "hiv",
                        "first": "2026-03-01",
                        "last": "2026-03-02",
                        "scope": "site",
                    }
                )
                self.assertTrue(form.is_valid(), form.errors)
                self.assertEqual(form.cleaned_data["first"], datetime.date(2026, 3, 1))
