"""Test fixtures: every test runs with a master key of the test run's own.

The whole suite needs this, because an app that encrypts (or any page,
since LockedMiddleware answers 503 without a master key) fails without
it. Load it from the root ``conftest.py``::

    pytest_plugins = ["outpost.vault.testing"]

One master key serves the whole session (per xdist worker), in a
temporary KEY_DIR, so data keys created in ``setUpTestData`` stay
readable in every test of the class. Before each test the key file is put
back if a test removed it, and cached keys are forgotten, because the data
keys they name were rolled back with the previous test's transaction.

Django modules are imported inside the fixtures: pytest imports plugins
before Django is set up.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class TestKeys:
    key_dir: Path
    master: bytes

    __test__ = False  # not a test class, despite the name


def install_master_key(key_dir: Path, master: bytes | None = None) -> bytes:
    """Write ``master`` (or a fresh random key) to ``key_dir/master.key``."""
    from outpost.vault import custody

    master = master if master is not None else os.urandom(custody.KEY_BYTES)
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = key_dir / custody.MASTER_KEY_FILE
    path.unlink(missing_ok=True)
    custody.write_new_file(path, master)
    return master


@contextmanager
def vault_in(key_dir: Path, master: bytes | None = None) -> Iterator[TestKeys]:
    """Use ``key_dir`` as KEY_DIR with a master key installed, keys forgotten."""
    from django.test import override_settings

    from outpost.vault.keys import forget_keys

    installed = install_master_key(key_dir, master)
    forget_keys()
    try:
        with override_settings(KEY_DIR=key_dir):
            yield TestKeys(key_dir=key_dir, master=installed)
    finally:
        forget_keys()


@pytest.fixture(scope="session", autouse=True)
def vault_session_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestKeys]:
    """One temporary KEY_DIR and master key for the whole test session."""
    with vault_in(tmp_path_factory.mktemp("vault-keys")) as keys:
        yield keys


@pytest.fixture(autouse=True)
def vault_keys(vault_session_keys: TestKeys) -> Iterator[TestKeys]:
    """Before and after each test: the session key in place, no cached keys."""
    from django.conf import settings

    from outpost.vault import custody
    from outpost.vault.keys import forget_keys

    if Path(settings.KEY_DIR) == vault_session_keys.key_dir:
        path = custody.master_key_path()
        if not path.exists() or path.read_bytes() != vault_session_keys.master:
            install_master_key(vault_session_keys.key_dir, vault_session_keys.master)
    forget_keys()
    yield vault_session_keys
    forget_keys()
