"""Make an encrypted backup, and restore one into a fresh database to check it.

Plaintext (the snapshot, the decrypted archive) only ever exists inside a
private (0700) scratch directory next to the backups, which is removed in
``finally``. SIGTERM, which systemd and cron timeouts send, is turned into
an exception for the duration, so that ``finally`` runs then too.
"""

import datetime
import io
import json
import logging
import os
import shutil
import signal
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from outpost.backup import archive
from outpost.backup.engines import Engine, EngineError, Fingerprint, TableDigest, engine_for
from outpost.vault.keys import derived_key

logger = logging.getLogger(__name__)

KEY_PURPOSE = "backup"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "outpost-backup-manifest/1"
SUFFIX = ".backup"


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    checksum_path: Path
    size: int
    tables: int
    rows: int
    seconds: float


@dataclass(frozen=True)
class TableCheck:
    table: str
    expected: TableDigest | None
    actual: TableDigest | None

    @property
    def ok(self) -> bool:
        return self.expected is not None and self.expected == self.actual


@dataclass(frozen=True)
class RestoreResult:
    engine: str
    target: str
    kept: bool
    made_at: str
    checks: list[TableCheck]
    decrypt_seconds: float
    restore_seconds: float
    verify_seconds: float
    total_seconds: float

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def rows(self) -> int:
        return sum(c.actual.rows for c in self.checks if c.actual is not None)


@contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        # SystemExit unwinds through every finally, then exits as a
        # signal-killed process would.
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _scratch_dir(parent: Path) -> Iterator[Path]:
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdtemp makes the directory 0700 whatever the umask.
    path = Path(tempfile.mkdtemp(prefix=".outpost-scratch-", dir=parent))
    try:
        yield path
    finally:
        try:
            shutil.rmtree(path)
        except OSError:
            logger.error("Could not remove %s; it may hold plaintext, delete it by hand.", path)


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once its directory entry reaches the disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _backup_name(now: datetime.datetime) -> str:
    return f"outpost-{now.astimezone(datetime.UTC):%Y%m%d-%H%M%S}{SUFFIX}"


def _manifest(engine: Engine, made_at: datetime.datetime, tables: Fingerprint) -> bytes:
    document = {
        "format": MANIFEST_FORMAT,
        "made_at": made_at.astimezone(datetime.UTC).isoformat(),
        "engine": engine.name,
        "snapshot": engine.snapshot_name,
        "tables": {
            name: {"rows": digest.rows, "sha256": digest.sha256}
            for name, digest in sorted(tables.items())
        },
    }
    return json.dumps(document, indent=1, sort_keys=True).encode()


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    # Neutral metadata: the archive says nothing about the server's users.
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


def create_backup(
    *, database: Mapping[str, object], out_dir: Path, now: datetime.datetime
) -> BackupResult:
    """Snapshot ``database``, encrypt it into ``out_dir`` and write its checksum.

    Raises ``VaultLocked`` before touching the database if the server is
    locked: without the key there is nothing safe to write.
    """
    started = time.monotonic()
    key = derived_key(KEY_PURPOSE)
    try:
        engine = engine_for(database)
    except EngineError as exc:
        raise BackupError(str(exc)) from exc
    final = out_dir / _backup_name(now)
    if final.exists():
        raise BackupError(f"{final.name} already exists; wait a second and run again.")
    with _cleanup_on_sigterm(), _scratch_dir(out_dir) as scratch:
        snapshot = scratch / engine.snapshot_name
        try:
            tables = engine.snapshot(snapshot)
        except EngineError as exc:
            raise BackupError(str(exc)) from exc
        manifest = _manifest(engine, now, tables)
        sealed = scratch / "sealed"
        with sealed.open("xb", buffering=archive.CHUNK_SIZE) as out:
            writer = archive.SealedWriter(out, key)
            # typeshed wants a seekable, readable file; stream mode ("w|")
            # only ever calls write().
            with tarfile.open(  # type: ignore[call-overload]
                fileobj=writer,
                mode="w|",
                bufsize=archive.CHUNK_SIZE,
                format=tarfile.PAX_FORMAT,
            ) as tar:
                tar.copybufsize = archive.CHUNK_SIZE
                tar.addfile(_tar_info(MANIFEST_NAME, len(manifest)), io.BytesIO(manifest))
                with snapshot.open("rb") as data:
                    tar.addfile(_tar_info(engine.snapshot_name, snapshot.stat().st_size), data)
            digest = writer.finish()
            out.flush()
            os.fsync(out.fileno())
        sealed.chmod(0o600)
        size = sealed.stat().st_size
        os.replace(sealed, final)
    checksum_path = archive.write_sidecar(final, digest)
    _fsync_dir(out_dir)
    return BackupResult(
        path=final,
        checksum_path=checksum_path,
        size=size,
        tables=len(tables),
        rows=sum(t.rows for t in tables.values()),
        seconds=time.monotonic() - started,
    )


def _read_manifest(data: bytes, engine: Engine) -> tuple[str, Fingerprint]:
    try:
        document = json.loads(data)
        if document["format"] != MANIFEST_FORMAT:
            raise BackupError(f"Unknown manifest format {document['format']!r}.")
        if document["engine"] != engine.name:
            raise BackupError(
                f"This backup is of a {document['engine']} database; this server uses "
                f"{engine.name}. Restore it on a server configured for {document['engine']}."
            )
        tables = {
            str(name): TableDigest(rows=int(entry["rows"]), sha256=str(entry["sha256"]))
            for name, entry in document["tables"].items()
        }
        return str(document["made_at"]), tables
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"The manifest inside the backup is malformed: {exc!r}") from exc


def _unpack(plain: Path, scratch: Path, engine: Engine) -> tuple[str, Fingerprint, Path]:
    """Take the manifest and snapshot out of the verified tar, and nothing else.

    The manifest comes first in the archive, so a backup of the other kind
    of database is refused before its snapshot is written out.
    """
    manifest: tuple[str, Fingerprint] | None = None
    snapshot = scratch / engine.snapshot_name
    with tarfile.open(plain, mode="r:") as tar:
        for member in tar:
            source = tar.extractfile(member) if member.isfile() else None
            expected = MANIFEST_NAME if manifest is None else engine.snapshot_name
            if source is None or member.name != expected or snapshot.exists():
                raise BackupError(f"Unexpected entry {member.name!r} in the backup archive.")
            with source:
                if manifest is None:
                    manifest = _read_manifest(source.read(), engine)
                else:
                    with snapshot.open("xb") as out:
                        shutil.copyfileobj(source, out, archive.CHUNK_SIZE)
    if manifest is None or not snapshot.exists():
        raise BackupError("The backup archive lacks its manifest or its snapshot.")
    return manifest[0], manifest[1], snapshot


def restore_backup(
    *,
    database: Mapping[str, object],
    path: Path,
    into: str | None,
    keep: bool,
    work_dir: Path,
    now: datetime.datetime,
) -> RestoreResult:
    """Restore the backup at ``path`` into a new database and check it.

    Only ``into`` (or a new default name) is created, never the live
    database. The copy is dropped afterwards unless ``keep``; a copy whose
    restore failed half-way is always dropped.
    """
    began = time.monotonic()
    try:
        archive.verify_sidecar(path)
    except archive.ArchiveError as exc:
        raise BackupError(str(exc)) from exc
    key = derived_key(KEY_PURPOSE)
    try:
        engine = engine_for(database)
    except EngineError as exc:
        raise BackupError(str(exc)) from exc
    stamp = f"{now.astimezone(datetime.UTC):%Y%m%d_%H%M%S}"
    with _cleanup_on_sigterm(), _scratch_dir(work_dir) as scratch:
        started = time.monotonic()
        plain = scratch / "archive.tar"
        try:
            with plain.open("xb", buffering=archive.CHUNK_SIZE) as out:
                archive.unseal(path, key, out)
        except archive.ArchiveError as exc:
            raise BackupError(str(exc)) from exc
        made_at, expected, snapshot = _unpack(plain, scratch, engine)
        plain.unlink()
        decrypt_seconds = time.monotonic() - started

        target = into or engine.default_target(stamp, work_dir if keep else scratch)
        try:
            engine.create(target)
        except EngineError as exc:
            raise BackupError(str(exc)) from exc
        done = False
        try:
            started = time.monotonic()
            engine.load(snapshot, target)
            restore_seconds = time.monotonic() - started
            started = time.monotonic()
            actual = engine.fingerprint(target)
            verify_seconds = time.monotonic() - started
            done = True
        except EngineError as exc:
            raise BackupError(f"Restore into {target} failed: {exc}") from exc
        finally:
            if not (done and keep):
                engine.drop(target)
    checks = [
        TableCheck(table=name, expected=expected.get(name), actual=actual.get(name))
        for name in sorted(set(expected) | set(actual))
    ]
    return RestoreResult(
        engine=engine.name,
        target=target,
        kept=keep,
        made_at=made_at,
        checks=checks,
        decrypt_seconds=decrypt_seconds,
        restore_seconds=restore_seconds,
        verify_seconds=verify_seconds,
        total_seconds=time.monotonic() - began,
    )
