from collections.abc import Iterator
from pathlib import Path

import pytest

from outpost.vault.testing import TestKeys, vault_in


@pytest.fixture(autouse=True)
def isolated_vault(tmp_path: Path) -> Iterator[TestKeys]:
    """Each vault test gets its own KEY_DIR and a fresh master key.

    Vault tests lock, destroy and rotate the master key; nothing they do
    may reach the session key that other apps' tests share.
    """
    with vault_in(tmp_path / "keys") as keys:
        yield keys
