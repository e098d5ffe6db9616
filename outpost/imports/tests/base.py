"""Files to import, kept in a scratch IMPORT_DIR, run without a thread."""

import datetime
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path

from django.test import override_settings
from openpyxl import Workbook

from outpost.core.tests.base import BaseTestCase
from outpost.imports.actions import new_batch, run_import, store_file
from outpost.imports.models import ImportBatch

# Far enough back for any clock the suite runs on.
DAY = "2025-06-02"
HEADER = "date,site,channel,code,services,syringes_returned,Injecting kit,Condom"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def in_days(days: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


class ImportTestCase(BaseTestCase):
    """Organisation A of BaseTestCase; imports run at once, files in a scratch folder."""

    import_dir: Path

    def setUp(self) -> None:
        super().setUp()
        scratch = tempfile.TemporaryDirectory()
        self.addCleanup(scratch.cleanup)
        self.import_dir = Path(scratch.name)
        settings = override_settings(IMPORT_DIR=self.import_dir, IMPORTS_IN_BACKGROUND=False)
        settings.enable()
        self.addCleanup(settings.disable)

    def upload(
        self, content: bytes, *, name: str = "contacts.csv", dry_run: bool = False
    ) -> ImportBatch:
        stored_name, sha256 = store_file(name, len(content), content[:8], [content])
        return new_batch(
            org_id=self.org.pk,
            user=self.manager,
            file_name=name,
            stored_name=stored_name,
            sha256=sha256,
            dry_run=dry_run,
        )

    def run_file(
        self, content: bytes, *, name: str = "contacts.csv", dry_run: bool = False
    ) -> ImportBatch:
        return run_import(self.upload(content, name=name, dry_run=dry_run).pk)

    def run_csv(self, *lines: str, dry_run: bool = False) -> ImportBatch:
        return self.run_file(csv_bytes(*lines), dry_run=dry_run)

    def errors(self, batch: ImportBatch) -> list[tuple[int, str]]:
        return [(int(error["line"]), str(error["message"])) for error in batch.errors]
