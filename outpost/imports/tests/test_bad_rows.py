"""Every kind of bad row and bad file is reported with its line, and nothing is saved."""

from django.utils import translation

from outpost.clients.models import Client
from outpost.contacts.models import Contact, ContactDay
from outpost.core.errors import DomainError
from outpost.imports.actions import run_import, store_file
from outpost.imports.models import MAX_STORED_ERRORS, ImportBatch
from outpost.imports.tests.base import DAY, HEADER, ImportTestCase, csv_bytes, in_days

GOOD = f"{DAY},Sumy room,,OLVA110031985,counselling,3,1,2"
PARTS_HEADER = "date,site,code,mother_name,father_name,sex,birth_date"


class BadRowTests(ImportTestCase):
    def assert_refused(self, header: str, row: str, *messages: str) -> None:
        """Line 2 is good, line 3 is the bad row; a dry run and a real run both refuse."""
        clients = Client.objects.count()
        for dry_run in (True, False):
            with self.subTest(dry_run=dry_run):
                batch = self.run_csv(
                    header, GOOD if header == HEADER else "", row, dry_run=dry_run
                )
                self.assertEqual(batch.status, ImportBatch.Status.FAILED)
                self.assertEqual(self.errors(batch), [(3, message) for message in messages])
                self.assertEqual(batch.error_count, len(messages))
                self.assertEqual(batch.contacts_added, 0)
        self.assertFalse(Contact.objects.exists())
        self.assertFalse(ContactDay.objects.exists())
        self.assertEqual(Client.objects.count(), clients)

    def test_a_date_that_is_not_a_date(self) -> None:
        for value in ("2025-13-01", "yesterday", "02/06/2025", "31.02.2025"):
            with self.subTest(value=value):
                self.assert_refused(
                    HEADER,
                    f"{value},Sumy room,,,,,1,",
                    f"“{value}” is not a date: write it as YYYY-MM-DD or DD.MM.YYYY.",
                )

    def test_a_missing_date(self) -> None:
        self.assert_refused(HEADER, ",Sumy room,,,,,1,", "The date is missing.")

    def test_a_date_in_the_future(self) -> None:
        tomorrow = in_days(2)
        self.assert_refused(
            HEADER, f"{tomorrow},Sumy room,,,,,1,", f"The date {tomorrow} is in the future."
        )

    def test_a_date_before_2000(self) -> None:
        self.assert_refused(
            HEADER, "31.12.1999,Sumy room,,,,,1,", "The date 1999-12-31 is before 2000."
        )

    def test_an_unknown_or_missing_site(self) -> None:
        self.assert_refused(
            HEADER, f"{DAY},Kyiv room,,,,,1,", "There is no site “Kyiv room” here."
        )
        self.assert_refused(HEADER, f"{DAY},,,,,,1,", "The site is missing.")

    def test_another_organisations_site_is_unknown(self) -> None:
        self.assert_refused(
            HEADER, f"{DAY},Other room,,,,,1,", "There is no site “Other room” here."
        )

    def test_an_unknown_channel(self) -> None:
        self.assert_refused(HEADER, f"{DAY},Sumy room,pigeon,,,,1,", "“pigeon” is not a channel.")

    def test_a_bad_code(self) -> None:
        self.assert_refused(
            HEADER,
            f"{DAY},Sumy room,,OLVA1,,,1,",
            "A code has 13 characters: 4 letters, the sex digit and the date of birth as "
            "DDMMYYYY. 5 characters were typed.",
        )

    def test_a_code_that_disagrees_with_its_parts(self) -> None:
        self.assert_refused(
            PARTS_HEADER,
            f"{DAY},Sumy room,OLVA110031985,Olena,Petro,1,10.03.1985",
            "The code OLVA110031985 does not match its parts, which give OLPE110031985.",
        )

    def test_a_bad_sex(self) -> None:
        self.assert_refused(
            PARTS_HEADER,
            f"{DAY},Sumy room,,Olena,Vasyl,4,1985-03-10",
            "The sex must be 1 (male), 2 (female) or 3 (other or not stated), not “4”.",
        )

    def test_parts_without_the_sex(self) -> None:
        self.assert_refused(
            PARTS_HEADER,
            f"{DAY},Sumy room,,Olena,Vasyl,,1985-03-10",
            "The sex and the date of birth are both needed to build the code.",
        )

    def test_a_birth_date_that_is_not_a_date(self) -> None:
        self.assert_refused(
            PARTS_HEADER,
            f"{DAY},Sumy room,,Olena,Vasyl,2,30.02.1985",
            "“30.02.1985” is not a date of birth: write it as YYYY-MM-DD or DD.MM.YYYY.",
        )

    def test_an_impossible_age_on_the_day_of_the_contact(self) -> None:
        self.assert_refused(
            PARTS_HEADER,
            f"{DAY},Sumy room,,Olena,Vasyl,2,2020-01-01",
            "The client must be between 10 and 100 years old on the day of registration; "
            "this date of birth gives 5.",
        )

    def test_a_bad_quantity(self) -> None:
        for value in ("five", "-1", "1001", "2.5"):
            with self.subTest(value=value):
                self.assert_refused(
                    HEADER,
                    f"{DAY},Sumy room,,,,,{value},",
                    f"“{value}” in the column “Injecting kit” is not a quantity from 0 to 1000.",
                )

    def test_an_unknown_service(self) -> None:
        self.assert_refused(
            HEADER,
            f"{DAY},Sumy room,,,counselling;massage,,1,",
            "“massage” is not a service of the catalogue.",
        )

    def test_a_bad_group_and_groups_without_a_client(self) -> None:
        header = "date,site,code,groups"
        self.assert_refused(
            header,
            f"{DAY},Sumy room,OLVA110031985,injects_opioids;gardening",
            "“gardening” is not a population group.",
        )
        self.assert_refused(
            header,
            f"{DAY},Sumy room,,chemsex",
            "Groups need a client: give the code or its parts.",
        )

    def test_too_many_returned_syringes(self) -> None:
        self.assert_refused(
            HEADER,
            f"{DAY},Sumy room,,,,10001,1,",
            "Used syringes returned must be a whole number from 0 to 10000, not “10001”.",
        )

    def test_more_cells_than_headings(self) -> None:
        self.assert_refused(
            HEADER,
            f"{DAY},Sumy room,,,,,1,,surplus",
            "This row has more cells than there are column headings.",
        )

    def test_every_problem_of_a_row_is_listed(self) -> None:
        self.assert_refused(
            HEADER,
            "tomorrow,Kyiv room,,,,,1,x",
            "There is no site “Kyiv room” here.",
            "“tomorrow” is not a date: write it as YYYY-MM-DD or DD.MM.YYYY.",
            "“x” in the column “Condom” is not a quantity from 0 to 1000.",
        )

    def test_empty_rows_are_skipped_and_lines_still_count(self) -> None:
        batch = self.run_csv(HEADER, "", GOOD, ",,,,,,,", f"{DAY},Kyiv room,,,,,1,")
        self.assertEqual(self.errors(batch), [(5, "There is no site “Kyiv room” here.")])
        self.assertEqual(batch.rows_total, 2)
        self.assertFalse(Contact.objects.exists())

    def test_errors_are_written_in_the_uploaders_language(self) -> None:
        with translation.override("uk"):
            batch = self.upload(csv_bytes(HEADER, f"{DAY},Kyiv room,,,,,1,"))
            expected = translation.gettext("There is no site “%(name)s” here.") % {
                "name": "Kyiv room"
            }
        self.assertEqual(batch.language, "uk")
        batch = run_import(batch.pk)
        self.assertEqual(self.errors(batch), [(2, expected)])

    def test_only_the_first_errors_are_kept_but_all_are_counted(self) -> None:
        bad = f"{DAY},Kyiv room,,,,,1,"
        batch = self.run_csv(HEADER, *[bad] * (MAX_STORED_ERRORS + 5), dry_run=True)
        self.assertEqual(len(batch.errors), MAX_STORED_ERRORS)
        self.assertEqual(batch.error_count, MAX_STORED_ERRORS + 5)
        self.assertEqual(batch.more_errors, 5)


class BadFileTests(ImportTestCase):
    def assert_file_refused(self, content: bytes, message: str, name: str = "c.csv") -> None:
        batch = self.run_file(content, name=name)
        self.assertEqual(batch.status, ImportBatch.Status.FAILED)
        self.assertEqual(self.errors(batch), [(1, message)])
        self.assertFalse(Contact.objects.exists())

    def test_an_unknown_column_is_reported_once_on_line_1(self) -> None:
        self.assert_file_refused(
            csv_bytes("date,site,Syringe 3 ml", *[f"{DAY},Sumy room,1"] * 5),
            "The column “Syringe 3 ml” is not a known column, "
            "nor an item or kit of the catalogue.",
        )

    def test_an_item_no_longer_in_use(self) -> None:
        self.condom.is_active = False
        self.condom.save()
        self.assert_file_refused(
            csv_bytes("date,site,Condom", f"{DAY},Sumy room,1"),
            "The item or kit “Condom” is no longer in use.",
        )

    def test_a_column_twice_even_in_two_languages(self) -> None:
        self.assert_file_refused(
            csv_bytes("date,site,Syringe 2 ml,Шприц 2 мл", f"{DAY},Sumy room,1,1"),
            "The column “Шприц 2 мл” appears twice.",
        )

    def test_a_missing_column(self) -> None:
        self.assert_file_refused(
            csv_bytes("date,Condom", f"{DAY},1"), "The column “site” is missing."
        )

    def test_a_heading_left_empty(self) -> None:
        self.assert_file_refused(
            csv_bytes("date,,site", f"{DAY},,Sumy room"), "Column 2 has no heading."
        )

    def test_an_empty_file(self) -> None:
        self.assert_file_refused(b"", "The file is empty: line 1 must hold the column headings.")

    def test_a_csv_file_that_is_not_utf8(self) -> None:
        content = "date,site,Презерватив\n".encode("cp1251") + f"{DAY},Sumy room,1\n".encode()
        self.assert_file_refused(
            content, "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        )

    def test_a_broken_xlsx_file(self) -> None:
        self.assert_file_refused(
            b"PK\x03\x04 not a workbook",
            "The file could not be read as an XLSX workbook.",
            name="c.xlsx",
        )

    def test_other_kinds_and_large_files_are_refused_on_upload(self) -> None:
        cases = [
            ("contacts.pdf", b"%PDF-1.7", 100, "Only CSV and XLSX (Excel) files can be imported."),
            (
                "contacts.xlsx",
                b"date,sit",
                100,
                "Only CSV and XLSX (Excel) files can be imported.",
            ),
            (
                "contacts.csv",
                b"date,sit",
                51 * 1024 * 1024,
                "The file is larger than 50 MB. Split it into smaller files.",
            ),
        ]
        for name, head, size, message in cases:
            with self.subTest(name=name, size=size), self.assertRaises(DomainError) as caught:
                store_file(name, size, head, [head])
            self.assertEqual(caught.exception.message, message)
        self.assertEqual(list(self.import_dir.iterdir()), [])
