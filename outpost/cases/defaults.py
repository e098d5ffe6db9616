"""The goals and consultation topics a new organisation starts with.

Names are marked with ``gettext_noop`` so they enter the translation
catalogues; ``TranslatedNameMixin`` shows them in the reader's language.
Migration 0002 gives existing organisations the same rows.
"""

from django.utils.translation import gettext_noop

GOAL_TYPES = [
    gettext_noop("Documents restored"),
    gettext_noop("Entering HIV care"),
    gettext_noop("Staying on ART"),
    gettext_noop("Entering opioid substitution therapy"),
    gettext_noop("Housing"),
    gettext_noop("Benefits"),
    gettext_noop("Reconnecting with family"),
]

TOPICS = [
    gettext_noop("Documents"),
    gettext_noop("HIV care and ART"),
    gettext_noop("Opioid substitution therapy"),
    gettext_noop("Hepatitis and other health care"),
    gettext_noop("Housing"),
    gettext_noop("Benefits and social services"),
    gettext_noop("Family"),
    gettext_noop("Legal help"),
    gettext_noop("Safer use and overdose"),
    gettext_noop("Emotional support"),
]
