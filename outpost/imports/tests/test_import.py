"""Good files become contacts, clients, summaries and contact dates; repeats add nothing."""

import datetime
import zoneinfo
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.utils import timezone

from outpost.clients.models import Client, ClientGroup
from outpost.clients.uic import network_key
from outpost.contacts.models import Contact, ContactDay, ContactItem, ServiceDay
from outpost.contacts.summaries import rebuild_summaries
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.imports.actions import import_for_real, run_import
from outpost.imports.models import ImportBatch
from outpost.imports.tests.base import DAY, HEADER, ImportTestCase, csv_bytes, xlsx_bytes
from outpost.inventory.models import StockBalance, StockMovement

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
FULL_HEADER = (
    "date,site,channel,code,mother_name,father_name,sex,birth_date,groups,services,"
    "syringes_returned,Injecting kit,Шприц 2 мл, condom "
)
FULL_ROWS = (
    # Anna by her code, the site's default channel, a kit, condoms and counselling.
    f"{DAY},Sumy room,,OLVA110031985,,,,,,counselling,3,1,,2",
    # A new client by the parts of her code, channel and names in Ukrainian.
    "02.06.2025, sumy ROOM ,Вуличний аутріч,,Maria,Ivan,2,1990-05-01,"
    "chemsex;Sex work,Тестування;Counselling,,,10,",
    # Anonymous, on another day, a zero that is no line.
    "2025-06-01,Sumy room,window,,,,,,,,,,0,",
)
MARIA = "MAIV201051990"
ANNA = "OLVA110031985"


def summaries() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every summary row's values, in a fixed order."""
    days = ContactDay.objects.order_by("site", "channel", "client", "date").values_list()
    services = ServiceDay.objects.order_by(
        "site", "channel", "client", "date", "service_type"
    ).values_list()
    return [row[1:] for row in days], [row[1:] for row in services]


class GoodFileTests(ImportTestCase):
    def test_a_csv_file_becomes_contacts_and_clients(self) -> None:
        batch = self.run_csv(FULL_HEADER, *FULL_ROWS)
        self.assertEqual(batch.status, ImportBatch.Status.DONE, batch.errors)
        self.assertEqual((batch.contacts_added, batch.clients_added), (3, 1))
        self.assertEqual((batch.rows_total, batch.rows_done), (3, 3))
        anna, maria, anonymous = Contact.objects.order_by("pk")
        self.assertEqual(
            (anna.client, anna.channel, anna.syringes_returned), (self.anna, "window", 3)
        )
        self.assertEqual(anna.worker, self.manager)
        self.assertEqual(anna.date, datetime.date(2025, 6, 2))
        self.assertEqual(anna.occurred_at, datetime.datetime(2025, 6, 2, 12, tzinfo=KYIV))
        self.assertIsNotNone(anna.idempotency_key)
        lines = sorted(anna.items.values_list("item__name", "kit__name", "quantity"))
        self.assertEqual(
            lines,
            [
                ("Alcohol wipe", "Injecting kit", 10),
                ("Condom", None, 2),
                ("Needle 27G", "Injecting kit", 5),
                ("Syringe 2 ml", "Injecting kit", 5),
                ("Water for injection 2 ml", "Injecting kit", 5),
            ],
        )
        self.assertEqual(
            list(anna.services.values_list("service_type", flat=True)), [self.counselling.pk]
        )
        self.assertEqual(
            (maria.channel, maria.client.code if maria.client else ""), ("outreach", MARIA)
        )
        self.assertEqual(
            list(maria.items.values_list("item", "quantity")), [(self.syringe.pk, 10)]
        )
        self.assertEqual(
            sorted(maria.services.values_list("service_type__code", flat=True)),
            ["counselling", "testing"],
        )
        self.assertEqual((anonymous.client, anonymous.items.count()), (None, 0))

    def test_a_new_client_is_registered_as_at_the_window(self) -> None:
        self.run_csv(FULL_HEADER, *FULL_ROWS)
        maria = Client.objects.get(org=self.org, code=MARIA)
        self.assertEqual((maria.mother_part, maria.father_part, maria.sex), ("MA", "IV", "2"))
        self.assertEqual(maria.birth_date, datetime.date(1990, 5, 1))
        self.assertEqual(maria.network_key, network_key(MARIA, settings.NETWORK_SECRET.encode()))
        self.assertEqual(
            sorted(ClientGroup.objects.filter(client=maria).values_list("group", flat=True)),
            ["chemsex", "sex_work"],
        )

    def test_an_xlsx_file_with_dates_and_numbers_as_cells(self) -> None:
        rows: list[list[object]] = [
            ["date", "site", "code", "sex", "birth_date", "Syringe 2 ml", "Safer sex kit"],
            [datetime.datetime(2025, 6, 2), "Sumy room", "олва 1 10031985", None, None, 4, None],
            [
                datetime.date(2025, 6, 3),
                "Sumy room",
                None,
                2,
                datetime.datetime(1990, 5, 1),
                None,
                2.0,
            ],
            [None, None, None, None, None, None, None],
        ]
        batch = self.run_file(xlsx_bytes(rows), name="contacts.xlsx")
        self.assertEqual(batch.status, ImportBatch.Status.DONE, batch.errors)
        first, second = Contact.objects.order_by("pk")
        self.assertEqual((first.client, first.date), (self.anna, datetime.date(2025, 6, 2)))
        self.assertEqual(list(first.items.values_list("item", "quantity")), [(self.syringe.pk, 4)])
        self.assertEqual(second.client.code if second.client else "", "9999201051990")
        self.assertEqual(
            sorted(second.items.values_list("item__name", "quantity")),
            [("Condom", 10), ("Lubricant sachet", 4)],
        )

    def test_summaries_match_a_rebuild_from_the_contacts(self) -> None:
        self.run_csv(FULL_HEADER, *FULL_ROWS)
        kept = summaries()
        anna_day = ContactDay.objects.get(client=self.anna)
        self.assertEqual(
            (anna_day.contacts, anna_day.units_syringe, anna_day.units_condom), (1, 5, 2)
        )
        self.assertEqual(anna_day.syringes_returned, 3)
        self.assertEqual(ServiceDay.objects.filter(date=datetime.date(2025, 6, 2)).count(), 3)
        rebuild_summaries()
        self.assertEqual(summaries(), kept)

    def test_first_and_last_contact_dates_widen_and_never_narrow(self) -> None:
        Client.objects.filter(pk=self.anna.pk).update(
            first_contact_date=datetime.date(2025, 6, 5),
            last_contact_date=datetime.date(2025, 6, 5),
        )
        self.run_csv(
            "date,site,code",
            f"{DAY},Sumy room,OLVA110031985",
            "2025-06-01,Sumy room,OLVA110031985",
            "2025-06-03,Sumy room,AAVA110031985",
            "2025-05-30,Sumy room,AAVA110031985",
        )
        self.anna.refresh_from_db()
        self.assertEqual(
            (self.anna.first_contact_date, self.anna.last_contact_date),
            (datetime.date(2025, 6, 1), datetime.date(2025, 6, 5)),
        )
        other = Client.objects.get(code="AAVA110031985")
        self.assertEqual(
            (other.first_contact_date, other.last_contact_date),
            (datetime.date(2025, 5, 30), datetime.date(2025, 6, 3)),
        )

    def test_imported_contacts_take_nothing_from_stock_and_the_import_is_audited(self) -> None:
        movements = StockMovement.objects.count()
        balances = sorted(StockBalance.objects.values_list("pk", "quantity"))
        batch = self.run_csv(FULL_HEADER, *FULL_ROWS)
        self.assertEqual(StockMovement.objects.count(), movements)
        self.assertEqual(sorted(StockBalance.objects.values_list("pk", "quantity")), balances)
        entry = AuditEvent.objects.get(verb="import.completed")
        self.assertEqual((entry.actor_id, entry.target_id), (self.manager.pk, batch.pk))
        self.assertFalse(batch.file_kept)
        self.assertEqual(list(self.import_dir.iterdir()), [])


class DocumentedExampleTests(ImportTestCase):
    def test_the_example_in_the_guide_imports(self) -> None:
        guide = (Path(settings.BASE_DIR) / "docs" / "import.md").read_text(encoding="utf-8")
        example = guide.split("```csv\n", 1)[1].split("```", 1)[0]
        batch = self.run_file(example.encode(), dry_run=True)
        self.assertEqual(batch.errors, [])
        self.assertEqual((batch.contacts_added, batch.clients_added), (3, 1))


class RepeatTests(ImportTestCase):
    def test_the_same_file_twice_adds_nothing_the_second_time(self) -> None:
        content = csv_bytes(FULL_HEADER, *FULL_ROWS)
        self.run_file(content)
        days = summaries()
        again = self.run_file(content)
        self.assertEqual(again.status, ImportBatch.Status.DONE)
        self.assertEqual((again.contacts_added, again.clients_added), (0, 0))
        self.assertEqual(again.contacts_already_imported, 3)
        self.assertEqual(Contact.objects.count(), 3)
        self.assertEqual(summaries(), days)

    def test_the_same_rows_written_differently_are_the_same_contacts(self) -> None:
        self.run_csv(HEADER, f"{DAY},Sumy room,window,OLVA110031985,counselling,3,1,2")
        again = self.run_csv(
            "Condom,date,site,code,Injecting kit,services,syringes_returned",
            "2,02.06.2025,SUMY ROOM,olva110031985,1,Counselling,3",
        )
        self.assertEqual((again.contacts_added, again.contacts_already_imported), (0, 1))

    def test_an_overlapping_file_adds_only_its_new_rows(self) -> None:
        twice = f"{DAY},Sumy room,,OLVA110031985,,,1,"
        self.run_csv(HEADER, twice, twice, f"{DAY},Sumy room,,,,,,3")
        # Anna came a third time that day, and someone else came on the next.
        batch = self.run_csv(
            HEADER, f"{DAY},Sumy room,,,,,,3", twice, twice, twice, "2025-06-03,Sumy room,,,,,,1"
        )
        self.assertEqual((batch.contacts_added, batch.contacts_already_imported), (2, 3))
        self.assertEqual(Contact.objects.filter(client=self.anna).count(), 3)
        self.assertEqual(Contact.objects.count(), 5)
        self.assertEqual(ContactDay.objects.get(client=self.anna).contacts, 3)

    def test_a_reference_tells_identical_rows_of_two_files_apart(self) -> None:
        """Two workers' sheets with the same anonymous visit are two contacts."""
        header = f"{HEADER},ref"
        self.run_csv(header, f"{DAY},Sumy room,window,,,0,1,,sheet A row 2")
        batch = self.run_csv(header, f"{DAY},Sumy room,window,,,0,1,,sheet B row 2")
        self.assertEqual((batch.contacts_added, batch.contacts_already_imported), (1, 0))
        again = self.run_csv(header, f"{DAY},Sumy room,window,,,0,1,,sheet B row 2")
        self.assertEqual((again.contacts_added, again.contacts_already_imported), (0, 1))
        self.assertEqual(Contact.objects.count(), 2)

    def test_a_real_run_with_one_bad_row_saves_nothing(self) -> None:
        batch = self.run_csv(*(FULL_HEADER, *FULL_ROWS), f"{DAY},Sumy room,,,,,,,,,,1,,x")
        self.assertEqual(batch.status, ImportBatch.Status.FAILED)
        self.assertEqual(
            self.errors(batch),
            [(5, "“x” in the column “condom” is not a quantity from 0 to 1000.")],
        )
        self.assertFalse(Contact.objects.exists())
        self.assertFalse(Client.objects.filter(code=MARIA).exists())
        self.assertFalse(ContactItem.objects.exists())
        self.assertEqual(AuditEvent.objects.filter(verb="import.failed").count(), 1)


class DryRunTests(ImportTestCase):
    def test_a_dry_run_saves_nothing_and_can_then_be_imported_for_real(self) -> None:
        dry = self.run_csv(FULL_HEADER, *FULL_ROWS, dry_run=True)
        self.assertEqual(dry.status, ImportBatch.Status.DONE)
        self.assertEqual((dry.contacts_added, dry.clients_added), (3, 1))
        self.assertFalse(Contact.objects.exists())
        self.assertFalse(Client.objects.filter(code=MARIA).exists())
        self.assertTrue(dry.file_kept)
        self.assertTrue(
            AuditEvent.objects.filter(verb="import.checked", target_id=dry.pk).exists()
        )
        real = run_import(import_for_real(dry, self.manager).pk)
        self.assertEqual((real.status, real.contacts_added, real.sha256), ("done", 3, dry.sha256))
        self.assertEqual(Contact.objects.count(), 3)
        dry.refresh_from_db()
        self.assertFalse(dry.file_kept)

    def test_a_dry_runs_file_is_deleted_at_the_first_upload_a_day_later(self) -> None:
        dry = self.run_csv(FULL_HEADER, *FULL_ROWS, dry_run=True)
        path = dry.stored_path
        assert path is not None
        ImportBatch.objects.filter(pk=dry.pk).update(
            finished_at=timezone.now() - datetime.timedelta(hours=25)
        )
        self.upload(csv_bytes(HEADER))
        dry.refresh_from_db()
        self.assertEqual(dry.stored_name, "")
        self.assertFalse(path.exists())
        with self.assertRaises(DomainError):
            import_for_real(dry, self.manager)

    def test_a_file_no_longer_kept_cannot_run(self) -> None:
        batch = self.upload(csv_bytes(FULL_HEADER, *FULL_ROWS))
        assert batch.stored_path is not None
        batch.stored_path.unlink()
        batch = run_import(batch.pk)
        self.assertEqual(self.errors(batch), [(1, "The file is no longer kept. Upload it again.")])


class LargeFileTests(ImportTestCase):
    def test_two_thousand_rows_with_progress(self) -> None:
        rows = [
            f"2025-06-{1 + n % 28:02d},Sumy room,,{ANNA if n % 3 else ''},,{n % 7},{n % 2},1"
            for n in range(2000)
        ]
        seen: list[tuple[str, int, int]] = []
        with mock.patch("outpost.imports.actions.PROGRESS_STEP", 500):
            batch = run_import(
                self.upload(csv_bytes(HEADER, *rows)).pk,
                progress=lambda phase, done, total: seen.append((phase, done, total)),
            )
        self.assertEqual(batch.status, ImportBatch.Status.DONE, batch.errors)
        self.assertEqual(
            (batch.rows_done, batch.rows_total, batch.contacts_added), (2000, 2000, 2000)
        )
        self.assertEqual(
            seen,
            [("checked", done, 2000) for done in (500, 1000, 1500, 2000)]
            + [("saved", 2000, 2000)],
        )
        kept = summaries()
        rebuild_summaries()
        self.assertEqual(summaries(), kept)
