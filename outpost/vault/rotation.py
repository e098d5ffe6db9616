"""Data-key rotation: move every registered row onto a new key, resumably.

A rotation starts by making a new current key for each purpose in one
transaction; the old keys stay live (readable) until every row is off
them, and only then are they marked retired. So the database itself says
whether a rotation was interrupted: a purpose with more than one live key.
A second run finishes such a rotation with the key already made, rather
than starting another, and starts nothing new.

Each batch is its own transaction. Field rows are selected by the key id
in their ciphertext header, so a batch that committed is never selected
again and one that was killed is simply done again: no row is lost or
re-encrypted twice. Blind indexes carry no key id, so each row's index is
recomputed and written only where it differs.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from time import monotonic, sleep

from django.db import connection, models, transaction
from django.db.models.functions import Substr
from django.utils import timezone

from outpost.core.audit import audit
from outpost.vault import keys
from outpost.vault.crypto import (
    HEADER_BYTES,
    DecryptionFailed,
    blind_index,
    decrypt,
    encrypt,
)
from outpost.vault.models import DataKey as StoredKey
from outpost.vault.registry import EncryptedField, registered


class RotationIncomplete(Exception):
    """Some rows could not be moved; the old keys were left live."""


@dataclass
class RotationReport:
    started: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    current: dict[str, int] = field(default_factory=dict)
    reencrypted: int = 0
    reindexed: int = 0
    retired: list[int] = field(default_factory=list)
    seconds: float = 0.0
    settle_seconds: float = 0.0


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def _key_id_bytes(key_id: int) -> bytes:
    return key_id.to_bytes(HEADER_BYTES - 1, "big")


def _rows_on_old_keys(entry: EncryptedField, current: int) -> "models.QuerySet[models.Model]":
    # Bytes 2..5 of a token are its key id: select in SQL the rows whose
    # ciphertext is not under the current key. The base manager sees every
    # row, even those a custom default manager would hide.
    rows: models.QuerySet[models.Model] = (
        entry.model._base_manager.filter(**{f"{entry.field}__isnull": False})
        .annotate(_vault_key_id=Substr(entry.field, 2, 4, output_field=models.BinaryField()))
        .exclude(_vault_key_id=_key_id_bytes(current))
    )
    return rows


def _write_column(model: type[models.Model], name: str, rows: "list[models.Model]") -> None:
    """Save one column of ``rows``, and nothing else.

    Only this column: an auto_now "updated" stamp must not move, or
    rotation would extend how long data is kept. One prepared UPDATE run
    per row is an order of magnitude faster than bulk_update's CASE.
    """
    if not rows:
        return
    field, pk = model._meta.get_field(name), model._meta.pk
    if not isinstance(field, models.Field) or pk is None:
        raise TypeError(f"{model._meta.label}.{name} is not a concrete column")
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(field.column)} = %s "  # noqa: S608 - quoted model identifiers
        f"WHERE {quote(pk.column)} = %s"
    )
    params = [
        (
            field.get_db_prep_save(getattr(row, field.attname), connection),
            pk.get_db_prep_value(row.pk, connection),
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def count_rows_on_old_keys(current: int) -> int:
    """Rows of every registered field not encrypted under key ``current``."""
    return sum(_rows_on_old_keys(entry, current).count() for entry in registered())


def _in_locked_batches(
    rows: "models.QuerySet[models.Model]",
    batch: int,
    work: Callable[[list[models.Model]], int],
) -> Iterator[int]:
    """Run ``work`` on ``rows`` in key order, one locked batch per transaction.

    Yields what each batch changed once it is committed, so a crash loses at
    most the batch in hand and the next run picks it up. Walking by key also
    steps past rows ``work`` had to skip.
    """
    after: object = None
    while True:
        with transaction.atomic():
            page = rows if after is None else rows.filter(pk__gt=after)
            chunk = list(page.select_for_update().order_by("pk")[:batch])
            if not chunk:
                return
            changed = work(chunk)
            after = chunk[-1].pk
        yield changed


def _reencrypt(
    entry: EncryptedField, current: int, batch: int, failed: set[str], progress: Progress
) -> int:
    def work(chunk: list[models.Model]) -> int:
        changed = []
        for row in chunk:
            context = entry.context(row)
            try:
                plain = decrypt(getattr(row, entry.field), context=context)
            except DecryptionFailed:
                failed.add(f"{entry.label} pk={row.pk}")
                continue
            setattr(row, entry.field, encrypt(plain, context=context))
            changed.append(row)
        _write_column(entry.model, entry.field, changed)
        return len(changed)

    done = 0
    for changed in _in_locked_batches(_rows_on_old_keys(entry, current), batch, work):
        done += changed
        progress(f"{entry.label}: {done} rows re-encrypted")
    return done


def _reindex(entry: EncryptedField, batch: int, failed: set[str], progress: Progress) -> int:
    index_field, kind = entry.index_field, entry.index_kind
    if index_field is None or kind is None:
        return 0

    def work(chunk: list[models.Model]) -> int:
        changed = []
        for row in chunk:
            try:
                plain = decrypt(getattr(row, entry.field), context=entry.context(row))
                index = blind_index(kind, plain)
            except (DecryptionFailed, ValueError):
                failed.add(f"{entry.label} pk={row.pk}")
                continue
            if getattr(row, index_field) != index:
                setattr(row, index_field, index)
                changed.append(row)
        _write_column(entry.model, index_field, changed)
        return len(changed)

    done = 0
    rows = entry.model._base_manager.filter(**{f"{entry.field}__isnull": False})
    for changed in _in_locked_batches(rows, batch, work):
        done += changed
        if changed:
            progress(f"{entry.label}: {done} indexes recomputed")
    return done


def _sweep(purpose: str, current: int, batch: int, failed: set[str], progress: Progress) -> int:
    total = 0
    for entry in registered():
        if purpose == "fields":
            total += _reencrypt(entry, current, batch, failed, progress)
        else:
            total += _reindex(entry, batch, failed, progress)
    return total


def plan(purposes: list[str]) -> tuple[list[str], list[str]]:
    """Which purposes a run would resume, and which it would start."""
    interrupted = [p for p in purposes if len(keys.live_key_ids(p)) > 1]
    if interrupted:
        return interrupted, []
    return [], purposes


def rotate_data_keys(
    *, purposes: list[str], batch: int = 500, progress: Progress = _quiet
) -> RotationReport:
    """Rotate the data keys of ``purposes``, or finish an interrupted rotation."""
    started_at = monotonic()
    keys.master_key()  # fail closed before changing anything
    report = RotationReport()
    report.resumed, report.started = plan(purposes)
    if report.started:
        created = keys.create_data_keys(report.started)
        report.current = {purpose: key.key_id for purpose, key in created.items()}
    for purpose in report.resumed:
        report.current[purpose] = keys.live_key_ids(purpose)[-1]

    failed: set[str] = set()
    for purpose, current in report.current.items():
        swept = _sweep(purpose, current, batch, failed, progress)
        if purpose == "fields":
            report.reencrypted += swept
        else:
            report.reindexed += swept

    # Other processes may still hold the old key as "current" for up to
    # CURRENT_KEY_TTL after the new one was made; wait that out, then pick
    # up anything they wrote meanwhile.
    newest = StoredKey.objects.filter(pk__in=report.current.values()).order_by("-created_at")
    made = newest.values_list("created_at", flat=True).first()
    if made is not None:
        settle = keys.CURRENT_KEY_TTL - (timezone.now() - made).total_seconds()
        if settle > 0:
            progress(f"waiting {settle:.1f} s for other processes to switch keys")
            sleep(settle)
            report.settle_seconds = settle
    for purpose, current in report.current.items():
        swept = _sweep(purpose, current, batch, failed, progress)
        if purpose == "fields":
            report.reencrypted += swept
        else:
            report.reindexed += swept

    if failed:
        raise RotationIncomplete(
            f"{len(failed)} rows could not be decrypted and were left on their old keys: "
            + ", ".join(sorted(failed)[:20])
        )
    now = timezone.now()
    with transaction.atomic():
        for purpose, current in report.current.items():
            old = StoredKey.objects.filter(
                purpose=purpose, retired_at__isnull=True, pk__lt=current
            )
            report.retired += list(old.values_list("id", flat=True))
            old.update(retired_at=now)
            audit(
                actor_id=None,
                org_id=None,
                verb="vault.keys_rotated",
                target=StoredKey.objects.get(pk=current),
            )
    report.seconds = monotonic() - started_at
    return report
