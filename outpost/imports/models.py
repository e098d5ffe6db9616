from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from outpost.orgs.models import Organisation

# Errors kept per batch; the count says how many there were in all.
MAX_STORED_ERRORS = 1000
# Rows are checked in memory before anything is saved.
MAX_ROWS = 250_000


class ImportBatch(models.Model):
    """One uploaded file of contacts and what became of it (docs/import.md)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        VALIDATING = "validating", _("Checking the rows")
        RUNNING = "running", _("Saving")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    # The copy in IMPORT_DIR; emptied once the file is no longer needed.
    stored_name = models.CharField(max_length=100, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # Errors are written in the uploader's language, by a thread or a command.
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    contacts_added = models.PositiveIntegerField(default=0)
    contacts_already_imported = models.PositiveIntegerField(default=0)
    clients_added = models.PositiveIntegerField(default=0)
    # [{"line": 7, "message": "…"}], at most MAX_STORED_ERRORS of them.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["org", "-created_at"], name="import_org_created")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def stored_path(self) -> Path | None:
        return Path(settings.IMPORT_DIR) / self.stored_name if self.stored_name else None

    @property
    def file_kept(self) -> bool:
        path = self.stored_path
        return path is not None and path.is_file()

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.VALIDATING, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        return 100 * self.rows_done // self.rows_total if self.rows_total else 0

    @property
    def more_errors(self) -> int:
        return max(self.error_count - len(self.errors), 0)
