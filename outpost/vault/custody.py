"""Key files on disk: the master key in KEY_DIR and its sealed copies.

The master key is 32 raw random bytes in ``KEY_DIR/master.key`` (0600, in
a 0700 directory; ideally tmpfs so a powered-off seized disk never held
it). The *sealed copy* is the same key as printable text, for custody off
the server: on paper in a sealed envelope or on an encrypted USB stick held
by two named people, or by one person in another country. Anyone holding a
sealed copy and a copy of the database can read every encrypted field, so
a sealed copy must never stay on the server.
"""

import hashlib
import os
import re
from pathlib import Path

from django.conf import settings

KEY_BYTES = 32
MASTER_KEY_FILE = "master.key"
# Where a master-key rotation parks the new key until the database holds
# the data keys wrapped under it; see actions.rotate_master_key.
NEXT_KEY_FILE = "master.key.next"

SEALED_HEADER = "OUTPOST SEALED MASTER KEY v1"
_HEX_GROUPS = re.compile(r"[0-9a-f]{4}")


class SealedKeyInvalid(ValueError):
    """The text is not a complete, correctly typed sealed copy."""


def key_dir() -> Path:
    return Path(settings.KEY_DIR)


def master_key_path() -> Path:
    return key_dir() / MASTER_KEY_FILE


def next_key_path() -> Path:
    return key_dir() / NEXT_KEY_FILE


def ensure_key_dir() -> Path:
    """Create KEY_DIR readable by the service account only."""
    directory = key_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask and ignored for an existing
    # directory; set it explicitly.
    directory.chmod(0o700)
    return directory


def fingerprint(key: bytes) -> str:
    """Name a key without revealing it, to match sealed copies to servers.

    A hash of a 256-bit random key gives no help in guessing the key; the
    domain prefix keeps it unrelated to any key Outpost derives.
    """
    digest = hashlib.sha256(b"outpost-kek-fingerprint\x00" + key).hexdigest()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def seal(key: bytes) -> str:
    """Render a master key as a sealed copy: printable and typo-checked."""
    if len(key) != KEY_BYTES:
        raise ValueError("a master key is 32 bytes")
    hexed = key.hex()
    groups = " ".join(hexed[i : i + 4] for i in range(0, len(hexed), 4))
    return (
        f"{SEALED_HEADER}\n"
        "Keep this offline: paper in a sealed envelope, or an encrypted USB\n"
        "stick, held by two named people or by one in another country.\n"
        "It must not stay on the server. With a copy of the database it opens\n"
        "every encrypted field; without it a locked server cannot be unlocked.\n"
        f"fingerprint: {fingerprint(key)}\n"
        f"key: {groups}\n"
    )


def unseal(text: str) -> bytes:
    """Read a sealed copy; refuse one that is truncated or mistyped."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in {"fingerprint", "key"}:
            fields[name.strip().lower()] = value.strip().lower()
    if "key" not in fields or "fingerprint" not in fields:
        raise SealedKeyInvalid("not a sealed master key: no key or fingerprint line")
    hexed = "".join(fields["key"].split())
    try:
        key = bytes.fromhex(hexed)
    except ValueError:
        raise SealedKeyInvalid("the key line holds characters that are not hex") from None
    if len(key) != KEY_BYTES:
        raise SealedKeyInvalid("the key line is not 64 hex digits long")
    # The fingerprint doubles as a checksum for a copy typed in from paper.
    if fingerprint(key) != fields["fingerprint"]:
        raise SealedKeyInvalid("the key does not match its fingerprint: check for a typo")
    return key


def _fsync_dir(directory: Path) -> None:
    # A rename or unlink is durable only once the directory entry is.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes) -> Path:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return temp


def write_new_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a new 0600 file; never overwrite an existing one.

    Written aside and then hard-linked into place, so a crash leaves either
    no file or the whole file, and an existing key is never replaced.
    """
    temp = _write_temp(path, data)
    try:
        os.link(temp, path)  # raises FileExistsError, atomically
    finally:
        temp.unlink()
    _fsync_dir(path.parent)


def replace_file(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with a new 0600 file holding ``data``."""
    temp = _write_temp(path, data)
    os.replace(temp, path)
    _fsync_dir(path.parent)


def shred(path: Path) -> bool:
    """Overwrite a key file with random bytes, then unlink it.

    The file is first renamed away, so every process sees it gone at once
    and none can read the overwrite as a key. Best effort: journaling and
    flash storage may keep old blocks, which is why KEY_DIR belongs on
    tmpfs. Returns False if there was no file.
    """
    doomed = path.with_name(f".{path.name}.{os.getpid()}.shred")
    try:
        os.rename(path, doomed)
    except FileNotFoundError:
        return False
    fd = os.open(doomed, os.O_WRONLY)
    try:
        size = os.fstat(fd).st_size
        os.write(fd, os.urandom(max(size, KEY_BYTES)))
        os.fsync(fd)
    finally:
        os.close(fd)
    doomed.unlink()
    _fsync_dir(path.parent)
    return True
