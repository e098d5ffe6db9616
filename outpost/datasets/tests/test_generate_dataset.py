import datetime
import io
from collections import defaultdict

from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.test import TestCase

from outpost.clients.models import Client
from outpost.contacts.models import Contact, ContactDay, ContactItem, ServiceDay
from outpost.contacts.summaries import rebuild_summaries
from outpost.datasets.digest import dataset_digest
from outpost.datasets.writer import TABLES
from outpost.inventory.models import StockBalance, StockMovement
from outpost.orgs.models import Organisation, Site
from outpost.testing.models import Referral, Test

END = "2026-02-28"


def generate(seed: int = 1, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "generate_dataset", "--tiny", "--seed", str(seed), "--end", END, *extra, stdout=out
    )
    return out.getvalue()


def digest_of(seed: int) -> dict[str, str]:
    """Generate into a savepoint, fingerprint every table, and roll back."""
    with transaction.atomic():
        generate(seed)
        digest = dataset_digest()
        transaction.set_rollback(True)
    return digest


class DeterminismTests(TestCase):
    def test_the_same_seed_gives_the_same_rows_in_every_table(self) -> None:
        first, second = digest_of(7), digest_of(7)
        self.assertEqual(first, second)

    def test_another_seed_gives_other_clients_and_contacts(self) -> None:
        first, other = digest_of(7), digest_of(8)
        for table in ("clients_client", "contacts_contact", "contacts_contactitem"):
            with self.subTest(table=table):
                self.assertNotEqual(first[table], other[table])

    def test_refuses_a_database_that_already_has_organisations(self) -> None:
        Organisation.objects.create(name="Existing", slug="existing")
        with self.assertRaisesMessage(CommandError, "already has organisations"):
            generate()


class GeneratedDatasetTests(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = generate()

    def test_reports_every_table_it_wrote_with_its_rows(self) -> None:
        for table in TABLES:
            with self.subTest(table=table.name):
                self.assertIn(table.name, self.output)
        self.assertRegex(self.output, r"contacts [\d,]+ / [\d,]+ \(\d+%\)")
        self.assertIn("total", self.output)

    def test_writes_every_column_of_each_table(self) -> None:
        for table in TABLES:
            with self.subTest(table=table.name):
                self.assertEqual(set(table.columns), table.model_columns())

    def test_stock_balances_equal_the_ledger_and_none_is_negative(self) -> None:
        ledger = {
            (row["location_id"], row["item_id"], row["lot"]): row["total"]
            for row in StockMovement.objects.values("location_id", "item_id", "lot")
            .annotate(total=Sum("quantity"))
            .order_by()
        }
        balances = {
            (b.location_id, b.item_id, b.lot): b.quantity for b in StockBalance.objects.all()
        }
        self.assertEqual(balances, ledger)
        self.assertFalse(StockBalance.objects.filter(quantity__lt=0).exists())
        self.assertTrue(StockMovement.objects.filter(kind="dispense").exists())

    def test_no_lot_runs_below_zero_on_any_day(self) -> None:
        running: defaultdict[tuple[int, int, str], int] = defaultdict(int)
        # Receipts come before the day's dispensing.
        movements = StockMovement.objects.order_by("occurred_on", "-quantity", "pk")
        for movement in movements:
            key = (movement.location_id, movement.item_id, movement.lot)
            running[key] += movement.quantity
            self.assertGreaterEqual(running[key], 0, movement)

    def test_dispensed_units_equal_the_items_and_test_kits_handed_out(self) -> None:
        dispensed = -(
            StockMovement.objects.filter(kind="dispense").aggregate(total=Sum("quantity"))["total"]
            or 0
        )
        items = ContactItem.objects.aggregate(total=Sum("quantity"))["total"] or 0
        rapid_tests = Test.objects.filter(method=Test.Method.RAPID).count()
        self.assertEqual(dispensed, items + rapid_tests)

    def test_summaries_equal_a_rebuild_from_the_contacts(self) -> None:
        before = self._summaries()
        rebuild_summaries()
        self.assertEqual(self._summaries(), before)
        totals = ContactDay.objects.aggregate(contacts=Sum("contacts"))
        self.assertEqual(totals["contacts"], Contact.objects.count())

    def test_each_client_first_and_last_contact_dates_match_their_contacts(self) -> None:
        clients = Client.objects.annotate(
            first=Min("contacts__date"), last=Max("contacts__date")
        ).values_list("first_contact_date", "first", "last_contact_date", "last")
        self.assertTrue(clients)
        for first_contact, first, last_contact, last in clients:
            self.assertEqual((first_contact, last_contact), (first, last))

    def test_some_people_are_registered_in_several_organisations(self) -> None:
        shared = (
            Client.objects.values("network_key")
            .annotate(orgs=Count("org", distinct=True), codes=Count("code", distinct=True))
            .filter(orgs__gt=1)
        )
        self.assertTrue(shared.exists())
        self.assertEqual({row["codes"] for row in shared}, {1})

    def test_some_contacts_are_anonymous_and_some_entered_days_later(self) -> None:
        self.assertTrue(Contact.objects.filter(client=None).exists())
        backdated = [
            contact
            for contact in Contact.objects.only("recorded_at", "date")
            if contact.recorded_at.date() > contact.date
        ]
        self.assertTrue(backdated)

    def test_contacts_go_through_courier_mobile_unit_and_outreach(self) -> None:
        channels = set(Contact.objects.values_list("channel", flat=True))
        self.assertLessEqual({"courier", "mobile_unit", "outreach"}, channels)

    def test_month_ends_are_busier_than_mid_month(self) -> None:
        per_day = dict(Contact.objects.values_list("date").annotate(count=Count("id")).order_by())
        month_end = [n for day, n in per_day.items() if (day + datetime.timedelta(3)).day <= 3]
        mid_month = [n for day, n in per_day.items() if 10 <= day.day <= 20]
        self.assertGreater(sum(month_end) / len(month_end), sum(mid_month) / len(mid_month))

    def test_tests_have_results_and_reactive_ones_lead_to_referrals(self) -> None:
        results = set(Test.objects.values_list("result", flat=True))
        self.assertLessEqual({"non_reactive", "reactive"}, results)
        self.assertTrue(Test.objects.filter(result_given=True).exists())
        confirmatory = Referral.objects.filter(target="confirmatory")
        self.assertTrue(confirmatory.exists())
        self.assertFalse(confirmatory.exclude(test__result="reactive").exists())
        statuses = set(Referral.objects.values_list("status", flat=True))
        self.assertLessEqual({"completed", "issued", "lost"}, statuses)

    def test_rapid_tests_name_the_lot_their_kit_came_from(self) -> None:
        dispensed = set(
            StockMovement.objects.filter(kind="dispense").values_list("item_id", "lot")
        )
        for kit_id, lot in Test.objects.values_list("kit_id", "lot"):
            self.assertIn((kit_id, lot), dispensed)

    def test_every_site_has_its_store_and_a_worker(self) -> None:
        sites = Site.objects.annotate(
            stores=Count("locations", filter=Q(locations__kind="store"))
        ).values_list("stores", flat=True)
        self.assertEqual(set(sites), {1})
        self.assertFalse(Site.objects.filter(membership=None).exists())

    def test_rows_saved_afterwards_take_new_ids(self) -> None:
        client = Client.objects.order_by("pk").first()
        assert client is not None
        highest = Client.objects.aggregate(top=Max("pk"))["top"]
        created = Client.objects.create(
            org_id=client.org_id,
            code="ZZZZ101011990",
            mother_part="ZZ",
            father_part="ZZ",
            sex="1",
            birth_date=datetime.date(1990, 1, 1),
            network_key="x",
        )
        self.assertGreater(created.pk, highest)

    def _summaries(self) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        days = sorted(
            ContactDay.objects.values_list(
                *(f.attname for f in ContactDay._meta.concrete_fields if not f.primary_key)
            ),
            key=repr,
        )
        services = sorted(
            ServiceDay.objects.values_list(
                *(f.attname for f in ServiceDay._meta.concrete_fields if not f.primary_key)
            ),
            key=repr,
        )
        return days, services
