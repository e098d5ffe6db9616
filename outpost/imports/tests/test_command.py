"""manage.py import_contacts: progress, the dry-run listing, the importer and re-runs."""

import io
from pathlib import Path
from unittest import mock

from django.core.management import CommandError, call_command

from outpost.contacts.models import Contact
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_staff
from outpost.imports.models import ImportBatch
from outpost.imports.tests.base import DAY, HEADER, ImportTestCase, csv_bytes

GOOD = f"{DAY},Sumy room,,OLVA110031985,counselling,3,1,2"
BAD = f"{DAY},Kyiv room,,,,,1,"


class CommandTests(ImportTestCase):
    def write(self, *lines: str) -> str:
        path = self.import_dir / "source" / "contacts.csv"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(csv_bytes(*lines))
        return str(path)

    def call(self, *args: str) -> str:
        out = io.StringIO()
        call_command("import_contacts", *args, stdout=out, stderr=io.StringIO())
        return out.getvalue()

    def test_a_real_run_prints_its_progress_and_what_it_added(self) -> None:
        path = self.write(HEADER, *[GOOD] * 4, f"{DAY},Sumy room,,,,,1,")
        with mock.patch("outpost.imports.actions.PROGRESS_STEP", 2):
            out = self.call(path, "--org", "org-a")
        self.assertEqual(
            out.splitlines(),
            [
                "Checked 2 of 5 rows",
                "Checked 4 of 5 rows",
                "Checked 5 of 5 rows",
                "Saved 5 of 5 rows",
                f"Import {ImportBatch.objects.get().pk} done. Contacts added: 5; "
                "new clients: 0; rows imported before, not added again: 0.",
            ],
        )
        self.assertEqual(Contact.objects.filter(worker=self.manager).count(), 5)

    def test_progress_numbers_are_grouped_by_thousands(self) -> None:
        path = self.write(HEADER, *[GOOD] * 1200)
        out = self.call(path, "--org", "org-a", "--dry-run")
        self.assertIn("Checked 1,200 of 1,200 rows", out)

    def test_a_dry_run_lists_every_bad_row_and_saves_nothing(self) -> None:
        path = self.write(HEADER, GOOD, BAD, GOOD, "tomorrow,Sumy room,,,,,1,")
        out = io.StringIO()
        with self.assertRaisesMessage(CommandError, "errors: 2. Nothing was saved."):
            call_command("import_contacts", path, "--org", "org-a", "--dry-run", stdout=out)
        self.assertIn("line 3: There is no site “Kyiv room” here.\n", out.getvalue())
        self.assertIn(
            "line 5: “tomorrow” is not a date: write it as YYYY-MM-DD or DD.MM.YYYY.\n",
            out.getvalue(),
        )
        self.assertFalse(Contact.objects.exists())

    def test_a_clean_dry_run_says_what_it_would_add(self) -> None:
        out = self.call(self.write(HEADER, GOOD, GOOD), "--org", "org-a", "--dry-run")
        self.assertIn("every row is correct. Contacts to add: 2; new clients: 0;", out)
        self.assertFalse(Contact.objects.exists())

    def test_a_second_run_of_the_same_file_says_it_added_nothing(self) -> None:
        path = self.write(HEADER, GOOD, GOOD)
        self.call(path, "--org", "org-a")
        first = ImportBatch.objects.get()
        out = self.call(path, "--org", "org-a")
        self.assertIn(f"The same file was imported before (import {first.pk}).", out)
        self.assertIn(
            "Contacts added: 0; new clients: 0; rows imported before, not added again: 2.", out
        )
        self.assertEqual(Contact.objects.count(), 2)

    def test_the_importer_is_named_or_the_first_manager(self) -> None:
        admin = make_staff(self.org, "admin-a", Role.ADMIN, self.site)
        self.call(self.write(HEADER, GOOD), "--org", "org-a", "--user", "admin-a")
        self.assertEqual(Contact.objects.get().worker, admin)
        with self.assertRaisesMessage(CommandError, "'worker' is not an active manager"):
            self.call(self.write(HEADER, GOOD), "--org", "org-a", "--user", "worker")
        make_org("empty")
        with self.assertRaisesMessage(CommandError, "empty has no active manager"):
            self.call(self.write(HEADER, GOOD), "--org", "empty")

    def test_bad_arguments(self) -> None:
        with self.assertRaisesMessage(CommandError, "Give a FILE and --org"):
            self.call("--org", "org-a")
        with self.assertRaisesMessage(CommandError, "No organisation"):
            self.call(self.write(HEADER, GOOD), "--org", "nowhere")
        with self.assertRaisesMessage(CommandError, "There is no file"):
            self.call(str(self.import_dir / "missing.csv"), "--org", "org-a")
        pdf = Path(self.import_dir / "contacts.pdf")
        pdf.write_bytes(b"%PDF-1.7")
        with self.assertRaisesMessage(CommandError, "Only CSV and XLSX"):
            self.call(str(pdf), "--org", "org-a")

    def test_an_import_left_running_by_a_dead_process_runs_again(self) -> None:
        path = self.write(HEADER, GOOD)
        batch = self.upload(Path(path).read_bytes())
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
        out = self.call("--batch", str(batch.pk))
        self.assertIn(f"Import {batch.pk} done. Contacts added: 1;", out)
        with self.assertRaisesMessage(CommandError, f"Import {batch.pk} is done already."):
            self.call("--batch", str(batch.pk))
        with self.assertRaisesMessage(CommandError, "There is no import"):
            self.call("--batch", str(batch.pk + 1000))
