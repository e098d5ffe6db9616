"""Every user-facing message exists in Ukrainian and Russian.

The catalogues are regenerated from the code in a scratch copy of the
project, so a message added to the code without a translation fails here,
and so does a compiled catalogue older than its source.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.test import SimpleTestCase

ROOT = Path(settings.BASE_DIR)
LOCALES = ("uk", "ru")


class TranslationTests(SimpleTestCase):
    def test_uk_and_ru_catalogues_translate_every_message_in_the_code(self) -> None:
        self.assertIsNotNone(shutil.which("xgettext"), "install gettext to check catalogues")
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch)
            for name in ("config", "outpost"):
                shutil.copytree(
                    ROOT / name,
                    copy / name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
                )
            shutil.copy(ROOT / "manage.py", copy)
            subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
                [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
                + [f"--locale={code}" for code in LOCALES],
                cwd=copy,
                check=True,
                capture_output=True,
                env={"DEBUG": "true", "PATH": "/usr/bin:/bin"},
            )
            for code in LOCALES:
                catalogue = polib.pofile(
                    str(copy / f"outpost/locale/{code}/LC_MESSAGES/django.po")
                )
                missing = [
                    entry.msgid
                    for entry in catalogue
                    if not entry.obsolete and (not entry.translated() or entry.fuzzy)
                ]
                with self.subTest(locale=code):
                    self.assertEqual(missing, [], f"untranslated {code} messages")

    def test_compiled_catalogues_match_their_sources(self) -> None:
        for code in (*LOCALES, "en"):
            directory = ROOT / f"outpost/locale/{code}/LC_MESSAGES"
            source = polib.pofile(str(directory / "django.po"))
            compiled = {
                (entry.msgctxt, entry.msgid): entry.msgstr
                for entry in polib.mofile(str(directory / "django.mo"))
            }
            with self.subTest(locale=code):
                for entry in source.translated_entries():
                    if not entry.msgid_plural:
                        found = compiled.get((entry.msgctxt, entry.msgid))
                        self.assertEqual(found, entry.msgstr, entry.msgid)
