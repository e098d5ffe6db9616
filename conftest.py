import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the live
# server and test data still use Django's ORM synchronously from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # A cheap hasher keeps the suite fast; production uses Argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tests compare English source text; pages in uk and ru are tested by
    # asking for them explicitly.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _english_by_default() -> None:
    """Start every test in English; a page may switch the thread's language."""
    from django.utils import translation

    translation.activate("en")
