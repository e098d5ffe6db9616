"""Import contacts from a file: check every row, then save all of them or none.

``run_import(batch_id)`` does the whole job for the command and for the
page alike. The page runs it in a ``threading.Thread`` started once the
upload has committed, not in a task queue: imports are rare and one at a
time, a queue would be one more service for a small NGO to run and watch,
and all a thread needs to share is in the ``ImportBatch`` row, progress
included. If the process dies mid-way, the saving transaction rolls back
and the batch stays "running"; ``manage.py import_contacts --batch ID``
runs it again from the stored file.

Checking writes its progress to the batch row as it goes. Saving is one
transaction, so its progress reaches the row only when it commits; the
command prints it as it goes.
"""

import datetime
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.imports.columns import Catalogue, load_catalogue, read_layout
from outpost.imports.models import MAX_ROWS, MAX_STORED_ERRORS, ImportBatch
from outpost.imports.reading import count_rows, file_kind, is_empty, open_sheet
from outpost.imports.rows import ContactRow, parse_row
from outpost.imports.writing import Plan, make_plan, save_plan
from outpost.orgs.models import User

logger = logging.getLogger(__name__)

# Progress is written (and printed by the command) every this many rows.
PROGRESS_STEP = 10_000
# Files of finished batches are deleted after this long: they hold the
# parents' names that codes are built from.
KEEP_FILES_HOURS = 24

Status = ImportBatch.Status
IN_PROGRESS = [Status.QUEUED, Status.VALIDATING, Status.RUNNING]
# phase ("checked" or "saved"), rows done, rows in all
Progress = Callable[[str, int, int], None]


def _quiet(phase: str, done: int, total: int) -> None:
    """No one to tell."""


@dataclass
class Problems:
    """Errors with their line numbers: the first MAX_STORED_ERRORS kept, all counted."""

    kept: list[dict[str, int | str]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int, messages: Iterable[str]) -> None:
        for message in messages:
            self.count += 1
            if len(self.kept) < MAX_STORED_ERRORS:
                self.kept.append({"line": line, "message": message})


def store_file(name: str, size: int, head: bytes, chunks: Iterable[bytes]) -> tuple[str, str]:
    """Keep an uploaded file in IMPORT_DIR; its stored name and SHA-256."""
    kind = file_kind(name, size, head)
    directory = Path(settings.IMPORT_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.{kind}"
    digest = hashlib.sha256()
    descriptor = os.open(directory / stored_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    return stored_name, digest.hexdigest()


def new_batch(
    *, org_id: int, user: User, file_name: str, stored_name: str, sha256: str, dry_run: bool
) -> ImportBatch:
    forget_old_files()
    return ImportBatch.objects.create(
        org_id=org_id,
        uploaded_by=user,
        file_name=file_name[:255],
        stored_name=stored_name,
        sha256=sha256,
        dry_run=dry_run,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )


def import_for_real(dry_run: ImportBatch, user: User) -> ImportBatch:
    """A new batch that saves the file a clean dry run checked."""
    if not (dry_run.dry_run and dry_run.status == Status.DONE and dry_run.file_kept):
        raise DomainError(
            gettext("Only a file that passed a dry run, and is still kept, can be imported.")
        )
    # A second tap on "Import for real" finds the first one's batch.
    started = ImportBatch.objects.filter(
        org_id=dry_run.org_id, stored_name=dry_run.stored_name, dry_run=False
    ).exclude(status=Status.FAILED)
    if started.exists():
        raise DomainError(gettext("This file is already being imported, or was imported."))
    return new_batch(
        org_id=dry_run.org_id,
        user=user,
        file_name=dry_run.file_name,
        stored_name=dry_run.stored_name,
        sha256=dry_run.sha256,
        dry_run=False,
    )


def start_import(batch_id: int) -> None:
    """Run the import once the current transaction commits, in a thread unless told not to."""

    def begin() -> None:
        if getattr(settings, "IMPORTS_IN_BACKGROUND", True):
            threading.Thread(
                target=_run_in_thread, args=(batch_id,), name=f"import-{batch_id}", daemon=True
            ).start()
        else:
            run_import(batch_id)

    transaction.on_commit(begin)


def _run_in_thread(batch_id: int) -> None:
    try:
        run_import(batch_id)
    except Exception:
        logger.exception("Import batch %s stopped", batch_id)
    finally:
        connections.close_all()


def earlier_import(batch: ImportBatch) -> ImportBatch | None:
    """A finished import of the very same file before this one, if any."""
    return (
        ImportBatch.objects.filter(
            org_id=batch.org_id, sha256=batch.sha256, dry_run=False, status=Status.DONE
        )
        .exclude(pk=batch.pk)
        .filter(created_at__lte=batch.created_at)
        .order_by("created_at")
        .first()
    )


def run_import(batch_id: int, progress: Progress = _quiet) -> ImportBatch:
    """Check the batch's file and, unless it is a dry run, save it: all rows or none."""
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    with translation.override(batch.language):
        try:
            _run(batch, progress)
        except Exception:
            # The file stays, so the batch can be run again once the cause is fixed.
            message = gettext(
                "The import stopped because of an unexpected error. Nothing was saved."
            )
            _finish(batch, Status.FAILED, _one_problem(message))
            raise
    if not batch.dry_run:
        _forget_file(batch.stored_name)
    return batch


def _run(batch: ImportBatch, progress: Progress) -> None:
    path = batch.stored_path
    if path is None or not batch.file_kept:
        message = gettext("The file is no longer kept. Upload it again.")
        _finish(batch, Status.FAILED, _one_problem(message))
        return
    _update(batch, status=Status.VALIDATING, started_at=timezone.now(), rows_done=0)
    catalogue = load_catalogue(batch.org_id)
    try:
        rows, problems = _check(batch, path, catalogue, progress)
    except DomainError as error:
        rows, problems = [], _one_problem(error.message)
    if problems.count:
        _finish(batch, Status.FAILED, problems)
    elif batch.dry_run:
        plan = make_plan(batch.org_id, rows)
        _finish(batch, Status.DONE, problems, plan)
    else:
        _save(batch, rows, catalogue, progress)


def _check(
    batch: ImportBatch, path: Path, catalogue: Catalogue, progress: Progress
) -> tuple[list[ContactRow], Problems]:
    kind = path.suffix.lstrip(".")
    total = count_rows(path, kind)
    _update(batch, rows_total=total)
    rows: list[ContactRow] = []
    problems = Problems()
    if total > MAX_ROWS:
        message = gettext("A file may hold at most %(most)s rows; split it into parts.")
        problems.add(1, [message % {"most": f"{MAX_ROWS:,}"}])
        return rows, problems
    with open_sheet(path, kind) as sheet:
        layout, header_errors = read_layout(sheet.header, catalogue)
        if header_errors:
            problems.add(1, header_errors)
            return rows, problems
        checked = 0
        for line, cells in sheet.rows:
            if is_empty(cells):
                continue
            parsed = parse_row(line, cells, layout, catalogue)
            if isinstance(parsed, list):
                problems.add(line, parsed)
            else:
                rows.append(parsed)
            checked += 1
            if checked % PROGRESS_STEP == 0 or checked == total:
                _update(batch, rows_done=checked)
                progress("checked", checked, total)
    return rows, problems


def _save(
    batch: ImportBatch, rows: list[ContactRow], catalogue: Catalogue, progress: Progress
) -> None:
    _update(batch, status=Status.RUNNING, rows_done=0)
    total = batch.rows_total

    def saved(done: int) -> None:
        # Inside the transaction: the batch row would show it only at the end.
        if done % PROGRESS_STEP == 0 or done == total:
            progress("saved", done, total)

    try:
        with transaction.atomic():
            plan = make_plan(batch.org_id, rows)
            save_plan(plan, catalogue, batch.uploaded_by_id, saved)
            _finish(batch, Status.DONE, Problems(), plan)
    except IntegrityError:
        message = gettext(
            "Someone saved some of these contacts or clients at the same time, so nothing "
            "was saved. Upload the file again."
        )
        _finish(batch, Status.FAILED, _one_problem(message))


def _one_problem(message: str) -> Problems:
    problems = Problems()
    problems.add(1, [message])
    return problems


def _update(batch: ImportBatch, **values: object) -> None:
    for name, value in values.items():
        setattr(batch, name, value)
    batch.save(update_fields=list(values))


def _finish(batch: ImportBatch, status: str, problems: Problems, plan: Plan | None = None) -> None:
    done = status == Status.DONE
    _update(
        batch,
        status=status,
        errors=problems.kept,
        error_count=problems.count,
        rows_done=batch.rows_total if done else batch.rows_done,
        contacts_added=len(plan.rows) if plan else 0,
        contacts_already_imported=plan.already_imported if plan else 0,
        clients_added=len(plan.new_clients) if plan else 0,
        finished_at=timezone.now(),
    )
    verb = "import.checked" if batch.dry_run else f"import.{'completed' if done else 'failed'}"
    audit(actor_id=batch.uploaded_by_id, org_id=batch.org_id, verb=verb, target=batch)


def _forget_file(stored_name: str) -> None:
    """Delete a stored file no batch still needs."""
    if not stored_name:
        return
    users = ImportBatch.objects.filter(stored_name=stored_name)
    if users.filter(status__in=IN_PROGRESS).exists():
        return
    (Path(settings.IMPORT_DIR) / stored_name).unlink(missing_ok=True)
    users.update(stored_name="")


def forget_old_files() -> int:
    """Delete uploaded files kept longer than a day; they may hold parents' names.

    A batch still "in progress" after a day was left by a process that died:
    it is marked failed and its file goes too, as does any file in
    IMPORT_DIR that no batch refers to (an upload whose batch was never made).
    """
    cutoff = timezone.now() - datetime.timedelta(hours=KEEP_FILES_HOURS)
    ImportBatch.objects.filter(created_at__lt=cutoff, status__in=IN_PROGRESS).update(
        status=Status.FAILED, finished_at=timezone.now()
    )
    old = ImportBatch.objects.filter(Q(finished_at__lt=cutoff) | Q(created_at__lt=cutoff))
    stored_names = set(old.exclude(stored_name="").values_list("stored_name", flat=True))
    for stored_name in stored_names:
        _forget_file(stored_name)
    return len(stored_names) + _forget_orphans(cutoff)


def _forget_orphans(cutoff: datetime.datetime) -> int:
    directory = Path(settings.IMPORT_DIR)
    if not directory.is_dir():
        return 0
    known = set(ImportBatch.objects.exclude(stored_name="").values_list("stored_name", flat=True))
    removed = 0
    for path in directory.iterdir():
        modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
        if path.is_file() and path.name not in known and modified < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
