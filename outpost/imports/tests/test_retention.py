import datetime
import io

import time_machine
from django.core.management import call_command
from django.utils import timezone

from outpost.imports.models import ImportBatch
from outpost.imports.tests.base import DAY, HEADER, ImportTestCase, csv_bytes


class ImportFileRetentionTests(ImportTestCase):
    def test_purge_expired_deletes_a_dry_runs_file_after_a_day(self) -> None:
        """An uploaded file may hold parents' names: it is kept only a day."""
        batch = self.run_file(csv_bytes(HEADER, f"{DAY},Sumy room,window,,,0,1,"), dry_run=True)
        stored = self.import_dir / batch.stored_name
        self.assertIs(stored.exists(), True)

        call_command("purge_expired", stdout=io.StringIO())
        self.assertIs(stored.exists(), True)

        with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
            call_command("purge_expired", stdout=io.StringIO())

        self.assertIs(stored.exists(), False)
        self.assertEqual(ImportBatch.objects.get(pk=batch.pk).stored_name, "")
