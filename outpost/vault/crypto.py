"""Field encryption and blind indexes.

A token is ``version (1 byte) ‖ key id (4 bytes, big-endian) ‖ nonce (12
bytes) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)``. The associated data is
the 5-byte header followed by the caller's ``context`` (for example
``"clients.contactdetails.phone:42"``), so a ciphertext copied to another
row or column, or given a forged key id, fails to decrypt instead of
yielding the wrong person's number.

Nonces are 96 random bits per encryption. With one data key per purpose
the birthday bound allows about 2**32 encryptions per key before the
collision risk reaches 2**-32; rotate_keys resets the count long before.

A blind index is HMAC-SHA256 under the separate ``index`` data key over the
kind and the normalised value. It answers "which rows hold this phone?"
without decrypting, and leaks only which rows share a value; callers
re-check every candidate after decryption.
"""

import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from outpost.vault.keys import UnknownKey, current_data_key, data_key, live_key_ids

VERSION = 1
HEADER_BYTES = 5
NONCE_BYTES = 12
TAG_BYTES = 16
_MIN_TOKEN = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
_MAX_KEY_ID = 2**32 - 1


class DecryptionFailed(Exception):
    """The token was altered, moved to another context, or its key is gone."""


def _header(key_id: int) -> bytes:
    if not 0 < key_id <= _MAX_KEY_ID:
        raise ValueError(f"key id {key_id} does not fit the token format")
    return bytes([VERSION]) + key_id.to_bytes(4, "big")


def _aad(header: bytes, context: str) -> bytes:
    if not context:
        # A ciphertext bound to nothing could be pasted anywhere.
        raise ValueError("encryption needs a context naming where the value lives")
    return header + context.encode()


def encrypt(plaintext: str, *, context: str) -> bytes:
    """Encrypt text under the current ``fields`` key, bound to ``context``.

    Raises VaultLocked when the master key is not on this server.
    """
    key = current_data_key("fields")
    header = _header(key.key_id)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.secret).encrypt(nonce, plaintext.encode(), _aad(header, context))
    return header + nonce + sealed


def token_key_id(token: bytes | memoryview) -> int:
    """The id of the data key a token was made with (not authenticated)."""
    blob = bytes(token)
    if len(blob) < _MIN_TOKEN or blob[0] != VERSION:
        raise DecryptionFailed("not an Outpost ciphertext")
    return int.from_bytes(blob[1:HEADER_BYTES], "big")


def decrypt(token: bytes | memoryview, *, context: str) -> str:
    """Decrypt a token made by ``encrypt`` for the same ``context``.

    Raises DecryptionFailed for any alteration, a wrong context or a
    destroyed key, and VaultLocked when locked; never returns wrong text.
    """
    blob = bytes(token)  # PostgreSQL hands BinaryField values over as memoryview
    key_id = token_key_id(blob)
    try:
        secret = data_key(key_id, purpose="fields")
    except UnknownKey:
        raise DecryptionFailed("the key of this ciphertext is gone") from None
    header = blob[:HEADER_BYTES]
    nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    try:
        plain = AESGCM(secret).decrypt(
            nonce, blob[HEADER_BYTES + NONCE_BYTES :], _aad(header, context)
        )
    except InvalidTag:
        raise DecryptionFailed("the ciphertext was altered or belongs elsewhere") from None
    return plain.decode()


_NON_DIGITS = re.compile(r"\D")


def normalise_phone(value: str) -> str:
    """Reduce a phone number to the digits of its international form.

    Rules, applied until nothing changes (so the result is stable):

    1. Keep digits only: ``+7 (999) 000-00-01`` → ``79990000001``.
    2. Drop a leading international call prefix ``00``.
    3. 11 digits starting ``80`` → ``380…``: the old Ukrainian trunk form
       ``8 0XX …`` (Russian area codes never start with 0).
    4. 11 digits starting ``8`` → ``7…``: the Russian (and Kazakh) trunk
       form, so ``8 999 000 0001`` equals ``+7 999 000 0001``.
    5. 10 digits starting ``0`` → ``38…``: the Ukrainian national form,
       so ``050 123 4567`` equals ``+380 50 123 4567``.
    6. 10 digits starting ``9`` → ``7…``: a Russian mobile written without
       its prefix, ``999 000 0001``.

    Anything else is kept as its digits; an empty result means there was
    no number at all.
    """
    digits = _NON_DIGITS.sub("", value)
    while True:
        before = digits
        if digits.startswith("00"):
            digits = digits[2:]
        elif len(digits) == 11 and digits.startswith("80"):
            digits = "3" + digits
        elif len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]
        elif len(digits) == 10 and digits.startswith("0"):
            digits = "38" + digits
        elif len(digits) == 10 and digits.startswith("9"):
            digits = "7" + digits
        if digits == before:
            return digits


_TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/", re.I)


def normalise_telegram(value: str) -> str:
    """Reduce a Telegram username, link or @mention to its bare lower-case name.

    ``@Canary_F3A9``, ``canary_f3a9`` and ``https://t.me/canary_f3a9`` are
    one account: usernames are case-insensitive.
    """
    name = value
    while True:  # until stable, so normalising twice changes nothing
        before = name
        name = _TELEGRAM_LINK.sub("", name.strip())
        # A link to a message or with a query still names the account.
        name = name.split("?", 1)[0].split("/", 1)[0]
        name = name.strip().lstrip("@").lower()
        if name == before:
            return name


_NORMALISERS = {"phone": normalise_phone, "telegram": normalise_telegram}
INDEX_KINDS = tuple(_NORMALISERS)


def _normalised(kind: str, value: str) -> bytes:
    try:
        normalise = _NORMALISERS[kind]
    except KeyError:
        raise ValueError(f"unknown blind index kind {kind!r}") from None
    normalised = normalise(value)
    if not normalised:
        raise ValueError(f"nothing to index in this {kind}")
    # The kind is part of the message, so one value indexed as a phone and
    # as a Telegram name gives unrelated indexes.
    return kind.encode() + b"\x00" + normalised.encode()


def _hmac(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def blind_index(kind: str, value: str) -> str:
    """The keyed index (64 hex digits) of a phone or Telegram name.

    ``kind`` is ``"phone"`` or ``"telegram"``; the value is normalised
    first. Raises ValueError when nothing is left to index.
    """
    message = _normalised(kind, value)
    return _hmac(current_data_key("index").secret, message)


def blind_index_candidates(kind: str, value: str) -> list[str]:
    """The index of ``value`` under every live index key, current first.

    While rotate_keys re-indexes rows, some still carry the old key's
    index; look up with ``<field>__in=`` this list to find them too.
    """
    message = _normalised(kind, value)
    current = current_data_key("index")
    found = [_hmac(current.secret, message)]
    for key_id in reversed(live_key_ids("index")):
        if key_id != current.key_id:
            found.append(_hmac(data_key(key_id, purpose="index"), message))
    return found
