import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

# Playwright's sync API runs an event loop in the test thread; the live
# server and test data still use Django's ORM synchronously from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Every test runs with a master key of its own (see outpost/vault/testing.py).
pytest_plugins = ["outpost.vault.testing", "outpost.core.tests.browser"]


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
    # The settings' file cache is shared by every process on the machine,
    # and test databases reuse record ids: each process keeps its own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Start every test with nothing cached (the dashboard keeps its figures)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default() -> None:
    """Start every test in English; a page may switch the thread's language."""
    from django.utils import translation

    translation.activate("en")


@pytest.fixture(autouse=True, scope="session")
def _audit_guard_survives_flush() -> Iterator[None]:
    """Let transactional tests empty the append-only audit table on SQLite.

    After a ``TransactionTestCase`` or a ``transactional_db`` test, Django
    empties every table: with TRUNCATE on PostgreSQL, which fires no row
    trigger, but with DELETE on SQLite, which the audit guard refuses. So on
    SQLite the guard comes off just before that flush and goes back straight
    after it. ``TestCase`` rolls back instead and never reaches this code.
    """
    from django.db import connections
    from django.test import TransactionTestCase

    from outpost.core.audit_guard import guard_suspended

    # Private Django API, unchanged since 1.x; django-stubs leaves it out.
    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]  # see above

    def _fixture_teardown(self: TransactionTestCase) -> None:
        with ExitStack() as stack:
            for alias in self._databases_names(include_mirrors=False):  # type: ignore[attr-defined]  # see above
                if connections[alias].vendor == "sqlite":
                    stack.enter_context(guard_suspended(connections[alias]))
            original(self)

    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[attr-defined]  # see above
    yield
    TransactionTestCase._fixture_teardown = original  # type: ignore[attr-defined]  # see above
