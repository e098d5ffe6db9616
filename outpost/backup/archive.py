"""The encrypted backup file and its checksum sidecar.

A backup file is laid out as::

    b"OUTPOSTBK1" | nonce (12 bytes) | key check (8) | ciphertext | GCM tag (16)

The ciphertext is a tar archive (snapshot and manifest) encrypted with
AES-256-GCM under ``derived_key("backup")``. The 30-byte header is the
additional authenticated data, so a changed header fails the tag as surely
as a changed byte of ciphertext.

The key check is HMAC-SHA256(key, label | nonce) cut to 8 bytes. It is not a
security boundary (the tag is); it lets a restore with the wrong master key
stop at once with a message that says so, instead of after decrypting
gigabytes and then reporting the same error as a damaged file. It includes
the nonce, so two backups made with one key do not share a visible value.

The sidecar ``<name>.sha256`` uses the ``sha256sum`` format, so an operator
can also check a copy by hand with ``sha256sum -c``.
"""

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAGIC = b"OUTPOSTBK1"
NONCE_SIZE = 12
KEY_CHECK_SIZE = 8
HEADER_SIZE = len(MAGIC) + NONCE_SIZE + KEY_CHECK_SIZE
TAG_SIZE = 16
CHUNK_SIZE = 1 << 20
# GCM's counter allows 2**32 - 2 blocks of 16 bytes under one nonce.
MAX_PLAINTEXT = (2**32 - 2) * 16

_KEY_CHECK_LABEL = b"outpost backup key check v1"
_SIDECAR_LINE = re.compile(r"\A([0-9a-f]{64}) [ *](\S.*)\n?\Z")


class ArchiveError(Exception):
    """A backup file cannot be trusted or read; nothing was restored from it."""


class ChecksumMismatch(ArchiveError):
    pass


class WrongKey(ArchiveError):
    pass


class DamagedArchive(ArchiveError):
    pass


def _key_check(key: bytes, nonce: bytes) -> bytes:
    return hmac.digest(key, _KEY_CHECK_LABEL + nonce, "sha256")[:KEY_CHECK_SIZE]


class SealedWriter:
    """Encrypt whatever is written into ``dest``, hashing the bytes on disk.

    It is a write-only file object, so ``tarfile`` can stream into it and no
    plaintext archive ever reaches the disk. Call ``finish`` once at the end.
    """

    def __init__(self, dest: BinaryIO, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("The backup key must be 32 bytes (AES-256).")
        nonce = os.urandom(NONCE_SIZE)
        header = MAGIC + nonce + _key_check(key, nonce)
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(header)
        self._dest = dest
        self._digest = hashlib.sha256()
        self._plaintext_size = 0
        self.size = 0
        self._emit(header)

    def write(self, data: bytes) -> int:
        self._plaintext_size += len(data)
        if self._plaintext_size > MAX_PLAINTEXT:
            raise ArchiveError("The backup is larger than one AES-GCM message allows (64 GiB).")
        self._emit(self._encryptor.update(data))
        return len(data)

    def finish(self) -> str:
        """Write the tag and return the SHA-256 of the whole file, in hex."""
        self._emit(self._encryptor.finalize())
        self._emit(self._encryptor.tag)
        return self._digest.hexdigest()

    def _emit(self, data: bytes) -> None:
        self._dest.write(data)
        self._digest.update(data)
        self.size += len(data)


def unseal(source: Path, key: bytes, dest: BinaryIO) -> None:
    """Decrypt ``source`` into ``dest``, raising if the tag does not verify.

    GCM hands out plaintext before it can check the tag, so ``dest`` must be
    a private scratch file that the caller deletes unless this returns.
    """
    size = source.stat().st_size
    if size < HEADER_SIZE + TAG_SIZE:
        raise DamagedArchive(f"{source.name} is too short to be an Outpost backup.")
    with source.open("rb") as src:
        header = src.read(HEADER_SIZE)
        if not header.startswith(MAGIC):
            raise DamagedArchive(f"{source.name} is not an Outpost backup (unknown format).")
        nonce = header[len(MAGIC) : len(MAGIC) + NONCE_SIZE]
        if not hmac.compare_digest(header[len(MAGIC) + NONCE_SIZE :], _key_check(key, nonce)):
            raise WrongKey(
                f"{source.name} was made with a different master key (or its header was "
                "altered). Unlock the server with the master key in use when it was made."
            )
        decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).decryptor()
        decryptor.authenticate_additional_data(header)
        remaining = size - HEADER_SIZE - TAG_SIZE
        while remaining:
            chunk = src.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                raise DamagedArchive(f"{source.name} changed size while it was read.")
            dest.write(decryptor.update(chunk))
            remaining -= len(chunk)
        tag = src.read(TAG_SIZE)
        try:
            dest.write(decryptor.finalize_with_tag(tag))
        except (InvalidTag, ValueError) as exc:
            raise DamagedArchive(
                f"{source.name} failed authentication: it was altered or damaged after it was "
                "made. Nothing from it was used."
            ) from exc


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_sidecar(path: Path, hexdigest: str) -> Path:
    """Write ``<name>.sha256`` next to ``path``, replacing any earlier one whole."""
    sidecar = sidecar_path(path)
    partial = sidecar.with_name(sidecar.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(f"{hexdigest}  {path.name}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, sidecar)
    return sidecar


def verify_sidecar(path: Path) -> str:
    """Check ``path`` against its sidecar and return the digest, or raise."""
    sidecar = sidecar_path(path)
    try:
        line = sidecar.read_text(encoding="ascii")
    except FileNotFoundError as exc:
        raise ChecksumMismatch(
            f"{sidecar.name} is missing; without it the backup cannot be checked."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecksumMismatch(f"{sidecar.name} cannot be read: {exc}") from exc
    match = _SIDECAR_LINE.match(line)
    if match is None or match.group(2) != path.name:
        raise ChecksumMismatch(f"{sidecar.name} is not a checksum line for {path.name}.")
    actual = file_sha256(path)
    if not hmac.compare_digest(actual, match.group(1)):
        raise ChecksumMismatch(
            f"{path.name} does not match its checksum: it was altered, damaged or "
            "incompletely copied."
        )
    return actual
