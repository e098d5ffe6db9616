"""Key custody operations: set up, lock, unlock, destroy, rotate the master key.

Panic on the server is a key-custody operation, not a bulk delete (PanicKit
and CacheWord, docs/security.md):

- **lock** (the default, reversible) takes the master key off the server
  and ends every session; the data stays, unreadable, until an offline
  sealed copy of the key is brought back with **unlock**;
- **destroy** (opt-in, irreversible) deletes the data keys themselves, so
  every ciphertext is unreadable for good while codes and counts survive.

Commands and the admin lock page call these, never the files directly.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection, models, transaction

from outpost.core.audit import audit
from outpost.vault import custody
from outpost.vault.keys import (
    WrongMasterKey,
    forget_keys,
    master_key,
    opens_all,
    unwrap,
    wrap,
)
from outpost.vault.models import DataKey
from outpost.vault.registry import registered

logger = logging.getLogger(__name__)

# Typed in full by whoever destroys; the same words for every organisation,
# so nobody has to look anything up under pressure.
DESTROY_PHRASE = "destroy all encrypted data"

_DB_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


class VaultRefused(Exception):
    """A key operation was refused and nothing changed."""


@dataclass(frozen=True)
class LockResult:
    key_removed: bool
    sessions_ended: int


@dataclass(frozen=True)
class DestroyResult:
    data_keys_deleted: int
    sessions_ended: int


def _data_key_table_exists() -> bool:
    return DataKey._meta.db_table in connection.introspection.table_names()


def init_master_key(*, sealed_out: Path | None) -> str:
    """Create KEY_DIR and a new random master key; return its fingerprint.

    Refuses to replace a key, and refuses to start afresh while data keys
    wrapped under a missing master key exist: that server is locked and
    needs ``unlock``, not a new key.
    """
    path = custody.master_key_path()
    if path.exists():
        raise VaultRefused(f"{path} exists; refusing to overwrite a master key")
    if _data_key_table_exists() and DataKey.objects.exists():
        raise VaultRefused(
            "the database holds data keys but this server has no master key: it is "
            "locked. Bring the sealed copy back with 'unlock --sealed PATH'."
        )
    key = os.urandom(custody.KEY_BYTES)
    if sealed_out is not None:
        # First, so that a key never exists without its offline copy.
        custody.write_new_file(sealed_out, custody.seal(key).encode())
    custody.ensure_key_dir()
    custody.write_new_file(path, key)
    forget_keys()
    return custody.fingerprint(key)


def _end_all_sessions() -> int:
    # Locking must sign everyone out, including anyone who stole a cookie.
    if settings.SESSION_ENGINE not in _DB_SESSION_ENGINES:
        logger.warning("sessions in %s are not ended by lock", settings.SESSION_ENGINE)
        return 0
    ended, _ = Session.objects.all().delete()
    return ended


def lock_vault(*, actor_id: int | None, org_id: int | None) -> LockResult:
    """Take the master key off this server, forget every key, end every session.

    The key file goes first: from that moment every process fails closed
    on its next request, even if the database is unreachable.
    """
    removed = custody.shred(custody.master_key_path())
    custody.shred(custody.next_key_path())
    forget_keys()
    with transaction.atomic():
        ended = _end_all_sessions()
        audit(actor_id=actor_id, org_id=org_id, verb="vault.locked")
    return LockResult(key_removed=removed, sessions_ended=ended)


def unlock_vault(*, sealed_text: str, actor_id: int | None, org_id: int | None) -> str:
    """Put the master key from a sealed copy back; return its fingerprint.

    The key must open every data key in the database before it is
    installed; a wrong or mistyped copy changes nothing.
    """
    try:
        key = custody.unseal(sealed_text)
    except custody.SealedKeyInvalid as exc:
        raise VaultRefused(str(exc)) from None
    if not DataKey.objects.exists():
        # Nothing to check the copy against, and nothing it could open: after
        # a destroy, an old copy must not become the key of new data.
        raise VaultRefused(
            "the database holds no data keys, so there is nothing to unlock; "
            "start afresh with keys_init"
        )
    if not opens_all(key):
        raise VaultRefused("this sealed copy does not open the data keys of this database")
    path = custody.master_key_path()
    if path.exists():
        if path.read_bytes() == key:
            raise VaultRefused("this server is already unlocked with this key")
        raise VaultRefused(f"{path} holds another master key; refusing to replace it")
    custody.ensure_key_dir()
    custody.write_new_file(path, key)
    forget_keys()
    with transaction.atomic():
        audit(actor_id=actor_id, org_id=org_id, verb="vault.unlocked")
    return custody.fingerprint(key)


def destroy_vault(*, confirm: str, actor_id: int | None, org_id: int | None) -> DestroyResult:
    """Delete every data key and the master key: all ciphertext is lost for good.

    Works on a locked server too. Codes, counts and other plain data stay.
    Copies of the data keys outlive this in old database backups, which
    the sealed master-key copies still open: destroy those as well.
    """
    if confirm != DESTROY_PHRASE:
        raise VaultRefused(f'type the phrase exactly: --confirm "{DESTROY_PHRASE}"')
    custody.shred(custody.master_key_path())
    custody.shred(custody.next_key_path())
    forget_keys()
    with transaction.atomic():
        if connection.vendor == "sqlite":
            # Overwrite the freed pages instead of leaving them in the file.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = ON")
        deleted, _ = DataKey.objects.all().delete()
        ended = _end_all_sessions()
        audit(actor_id=actor_id, org_id=org_id, verb="vault.destroyed")
    _blank_blind_indexes()
    _purge_freed_space()
    return DestroyResult(data_keys_deleted=deleted, sessions_ended=ended)


def _blank_blind_indexes() -> None:
    # Without their key the indexes can no longer be searched, but they
    # would still show which rows share a phone number.
    for entry in registered():
        if entry.index_field is None:
            continue
        index = entry.model._meta.get_field(entry.index_field)
        blank = None if isinstance(index, models.Field) and index.null else ""
        try:
            with transaction.atomic():
                entry.model._base_manager.exclude(**{entry.index_field: blank}).update(
                    **{entry.index_field: blank}
                )
        except DatabaseError:
            logger.exception("could not blank %s.%s", entry.label, entry.index_field)


def _purge_freed_space() -> None:
    # Best effort: push the deleted key rows out of the WAL and dead tuples.
    if connection.in_atomic_block:
        return
    statement = {
        "sqlite": "PRAGMA wal_checkpoint(TRUNCATE)",
        "postgresql": f"VACUUM FULL {connection.ops.quote_name(DataKey._meta.db_table)}",
    }.get(connection.vendor)
    if statement is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError:
        logger.exception("could not purge freed space after destroy")


@dataclass(frozen=True)
class MasterKeyRotation:
    fingerprint: str
    data_keys_rewrapped: int
    resumed: bool


def _ensure_sealed_copy(path: Path, key: bytes) -> None:
    if path.exists():
        try:
            same = custody.unseal(path.read_text()) == key
        except (custody.SealedKeyInvalid, UnicodeDecodeError):
            same = False
        if not same:
            raise VaultRefused(f"{path} exists; choose a new place for the sealed copy")
        return
    custody.write_new_file(path, custody.seal(key).encode())


def rotate_master_key(*, sealed_out: Path, actor_id: int | None = None) -> MasterKeyRotation:
    """Re-wrap every data key under a new master key; no row is touched.

    Safe to run again after a crash: the new key waits in
    ``master.key.next`` and its sealed copy is written before the database
    changes, and only then does the new key replace ``master.key``.
    """
    old = master_key()
    pending = custody.next_key_path()
    resumed = pending.exists()
    if resumed:
        new = pending.read_bytes()
        if len(new) != custody.KEY_BYTES:
            raise VaultRefused(f"{pending} is damaged; remove it and run again")
    else:
        if not opens_all(old):
            raise WrongMasterKey("the master key here does not open every data key")
        new = os.urandom(custody.KEY_BYTES)
        custody.write_new_file(pending, new)
    _ensure_sealed_copy(sealed_out, new)
    rewrapped = 0
    if not opens_all(new):
        with transaction.atomic():
            rows = list(DataKey.objects.select_for_update().order_by("id"))
            for row in rows:
                secret = unwrap(old, row.wrapped, purpose=row.purpose, key_id=row.pk)
                row.wrapped = wrap(new, secret, purpose=row.purpose, key_id=row.pk)
            DataKey.objects.bulk_update(rows, ["wrapped"])
            rewrapped = len(rows)
            audit(actor_id=actor_id, org_id=None, verb="vault.master_key_rotated")
    custody.replace_file(custody.master_key_path(), new)
    pending.unlink()
    forget_keys()
    return MasterKeyRotation(
        fingerprint=custody.fingerprint(new), data_keys_rewrapped=rewrapped, resumed=resumed
    )
