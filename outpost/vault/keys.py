"""The key hierarchy: a master key on disk, data keys wrapped in the database.

Envelope encryption (docs/security.md, "key custody"):

- The master key, or key-encryption key (KEK), is 32 random bytes in
  ``KEY_DIR/master.key``, outside the database. Taking that file away is
  "lock"; an offline sealed copy (``custody.seal``) brings it back.
- Data keys are random 32-byte keys, one current key per purpose:
  ``fields`` encrypts values (``crypto.encrypt``) and ``index`` keys blind
  indexes (``crypto.blind_index``). They are stored only wrapped under the
  KEK with AES-GCM, bound by the associated data to their purpose and id.
  Deleting them is "destroy".

Every call checks that the master key file is still there before any
cached key is used, so a lock done by another process takes effect here on
the next call. Python cannot promise to wipe memory; cached keys are kept
in bytearrays that are zeroed when forgotten, which is the best it offers.
"""

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connection, transaction

from outpost.vault import custody
from outpost.vault.models import DataKey as StoredKey

logger = logging.getLogger(__name__)

PURPOSES = ("fields", "index")
WRAP_VERSION = 1
_NONCE_BYTES = 12
# How long a process trusts its idea of the current data key before asking
# the database again. Another process's rotation reaches this one within
# this time; rotate_keys waits it out before its final sweep.
CURRENT_KEY_TTL = 2.0


class VaultLocked(Exception):
    """Key material is not on this server; fail closed."""


class WrongMasterKey(VaultLocked):
    """The master key here does not open the data keys in the database."""


class UnknownKey(LookupError):
    """No data key has this id, or not for this purpose: destroyed or forged."""


@dataclass(frozen=True)
class DataKey:
    key_id: int
    # Kept out of repr so tracebacks and logs never print a key.
    secret: bytes = field(repr=False)


@dataclass
class _Cache:
    kek: bytearray | None = None
    # (path, device, inode, size, mtime): a replaced or rotated file reads
    # as a different key.
    kek_signature: tuple[str, int, int, int, int] | None = None
    secrets: dict[int, tuple[str, bytearray]] = field(default_factory=dict)
    current: dict[str, tuple[int, float]] = field(default_factory=dict)
    # Keys this process created in a transaction not known to have
    # committed. Read inside a transaction, such a key may be this
    # transaction's own insert, and must not be cached: a rollback would
    # leave the cache naming a key the database never kept, and anything
    # encrypted under it would be lost. Read with no transaction open, the
    # row is committed (see _cacheable).
    pending: set[int] = field(default_factory=set)


_cache = _Cache()
_lock = threading.RLock()


def forget_keys() -> None:
    """Wipe cached key material from this process's memory."""
    with _lock:
        if _cache.kek is not None:
            _cache.kek[:] = bytes(len(_cache.kek))
        for _, secret in _cache.secrets.values():
            secret[:] = bytes(len(secret))
        _cache.kek = None
        _cache.kek_signature = None
        _cache.secrets.clear()
        _cache.current.clear()


def _master_key_file() -> str:
    # os.path, not pathlib: this runs on every encryption and every request,
    # and building a Path costs more than the stat() itself.
    return os.path.join(settings.KEY_DIR, custody.MASTER_KEY_FILE)


def is_locked() -> bool:
    """Whether the master key file is missing from this server."""
    if os.path.exists(_master_key_file()):
        return False
    forget_keys()
    return True


def master_key() -> bytes:
    """The 32-byte key-encryption key; raises VaultLocked without its file."""
    path = _master_key_file()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        forget_keys()
        raise VaultLocked("no master key on this server") from None
    signature = (path, stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _lock:
        if _cache.kek is not None and _cache.kek_signature == signature:
            return bytes(_cache.kek)
        # A different file (installed, rotated or replaced): nothing cached
        # under the old one is trusted any more.
        forget_keys()
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            raise VaultLocked("no master key on this server") from None
        if len(raw) != custody.KEY_BYTES:
            raise VaultLocked("the master key file is damaged")
        if stat.st_mode & 0o077:
            logger.warning("%s is readable by other accounts; chmod 600 it", path)
        _cache.kek = bytearray(raw)
        _cache.kek_signature = signature
        return raw


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from the master key (HKDF-SHA256).

    It changes when the master key is rotated, so anything encrypted under
    it (backups) needs the sealed copy of the master key of its day.
    """
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"outpost/" + purpose.encode()
    )
    return hkdf.derive(master_key())


def _wrap_aad(purpose: str, key_id: int) -> bytes:
    # Binding purpose and id stops a wrapped index key from being swapped in
    # as a field key, or one row's key from answering for another id.
    return f"outpost/datakey/{purpose}/{key_id}".encode()


def wrap(kek: bytes, secret: bytes, *, purpose: str, key_id: int) -> bytes:
    """Encrypt a data key under a master key."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(kek).encrypt(nonce, secret, _wrap_aad(purpose, key_id))
    return bytes([WRAP_VERSION]) + nonce + sealed


def unwrap(kek: bytes, wrapped: bytes | memoryview, *, purpose: str, key_id: int) -> bytes:
    """Decrypt a data key; WrongMasterKey if ``kek`` does not open it."""
    blob = bytes(wrapped)
    if not blob or blob[0] != WRAP_VERSION:
        raise WrongMasterKey(f"data key #{key_id} is not in a known format")
    nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        return AESGCM(kek).decrypt(nonce, sealed, _wrap_aad(purpose, key_id))
    except InvalidTag:
        raise WrongMasterKey(f"the master key does not open data key #{key_id}") from None


def opens_all(kek: bytes) -> bool:
    """Whether ``kek`` unwraps every data key in the database."""
    for key_id, purpose, wrapped in StoredKey.objects.values_list("id", "purpose", "wrapped"):
        try:
            unwrap(kek, wrapped, purpose=purpose, key_id=key_id)
        except WrongMasterKey:
            return False
    return True


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")


def _inside_open_transaction() -> bool:
    """Whether application code holds a transaction that may yet roll back.

    Django's TestCase wraps each test in atomic blocks it marks
    ``_from_testcase``; they count as committed, as for atomic(durable=True).
    """
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _when_committed(callback: Callable[[], None]) -> None:
    if _inside_open_transaction():
        transaction.on_commit(callback)
    else:
        callback()


def _cacheable(key_id: int) -> bool:
    """Whether a data key row just read from the database may be cached."""
    with _lock:
        if key_id not in _cache.pending:
            return True
        if _inside_open_transaction():
            return False
        _cache.pending.discard(key_id)  # seen outside any transaction: committed
        return True


def _remember(key_id: int, purpose: str, secret: bytes, *, current: bool) -> None:
    with _lock:
        _cache.pending.discard(key_id)
        if _cache.kek is None:
            return  # forgotten (locked?) since the key was made: keep it so
        _cache.secrets[key_id] = (purpose, bytearray(secret))
        if current:
            _cache.current[purpose] = (key_id, time.monotonic())


def _secret(kek: bytes, key_id: int, purpose: str | None) -> bytes:
    with _lock:
        hit = _cache.secrets.get(key_id)
        if hit is not None:
            stored_purpose, secret = hit[0], bytes(hit[1])
    if hit is None:
        row = StoredKey.objects.filter(pk=key_id).values_list("purpose", "wrapped").first()
        if row is None:
            raise UnknownKey(key_id)
        stored_purpose, wrapped = row
        secret = unwrap(kek, wrapped, purpose=stored_purpose, key_id=key_id)
        if _cacheable(key_id):
            with _lock:
                _cache.secrets[key_id] = (stored_purpose, bytearray(secret))
    if purpose is not None and stored_purpose != purpose:
        raise UnknownKey(key_id)
    return secret


def data_key(key_id: int, *, purpose: str | None = None) -> bytes:
    """Any data key by id, retired ones included, for decryption.

    Raises VaultLocked when locked and UnknownKey when no such key exists
    (or it belongs to another ``purpose``, if one is given).
    """
    return _secret(master_key(), key_id, purpose)


def _newest_live_key_id(purpose: str) -> int | None:
    return (
        StoredKey.objects.filter(purpose=purpose, retired_at__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def _serialise_key_creation() -> None:
    # Two processes using a purpose for the first time at once would each
    # create a key. SQLite's IMMEDIATE transactions already queue writers;
    # PostgreSQL needs a lock held until the transaction ends.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x0075_7470_6F73])


def _insert_key(kek: bytes, purpose: str) -> DataKey:
    secret = os.urandom(custody.KEY_BYTES)
    with transaction.atomic():
        # The id is part of the wrapping's associated data, so the row is
        # inserted first and wrapped once its id is known.
        row = StoredKey.objects.create(purpose=purpose, wrapped=b"")
        row.wrapped = wrap(kek, secret, purpose=purpose, key_id=row.pk)
        row.save(update_fields=["wrapped"])
    with _lock:
        _cache.pending.add(row.pk)
    return DataKey(key_id=row.pk, secret=secret)


def create_data_keys(purposes: list[str]) -> dict[str, DataKey]:
    """Make a new current data key for each purpose, in one transaction.

    The older keys of each purpose stay live (readable, no longer used to
    encrypt) until rotate_keys has moved every row off them.
    """
    for purpose in purposes:
        _check_purpose(purpose)
    kek = master_key()
    with transaction.atomic():
        created = {purpose: _insert_key(kek, purpose) for purpose in purposes}
    for purpose, key in created.items():
        _when_committed(
            partial(_remember, key.key_id, purpose, key.secret, current=True),
        )
    return created


def _create_first_key(kek: bytes, purpose: str) -> int:
    with transaction.atomic():
        _serialise_key_creation()
        existing = _newest_live_key_id(purpose)
        if existing is not None:  # made by another process meanwhile
            return existing
        created = _insert_key(kek, purpose)
    # After leaving the block, so that under a test's transaction the key
    # is cached at once, as it would be after a commit.
    _when_committed(partial(_remember, created.key_id, purpose, created.secret, current=True))
    return created.key_id


def current_data_key(purpose: str) -> DataKey:
    """The data key to encrypt or index with now; made on first use."""
    _check_purpose(purpose)
    kek = master_key()  # fail closed, and notice a lock, before any cache
    with _lock:
        cached = _cache.current.get(purpose)
    if cached is not None and time.monotonic() - cached[1] < CURRENT_KEY_TTL:
        return DataKey(key_id=cached[0], secret=_secret(kek, cached[0], purpose))
    key_id = _newest_live_key_id(purpose)
    if key_id is None:
        key_id = _create_first_key(kek, purpose)
    secret = _secret(kek, key_id, purpose)
    if _cacheable(key_id):
        with _lock:
            _cache.current[purpose] = (key_id, time.monotonic())
    return DataKey(key_id=key_id, secret=secret)


def live_key_ids(purpose: str) -> list[int]:
    """Ids of the data keys of ``purpose`` not yet retired, oldest first."""
    _check_purpose(purpose)
    return list(
        StoredKey.objects.filter(purpose=purpose, retired_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
