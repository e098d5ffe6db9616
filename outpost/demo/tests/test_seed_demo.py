import datetime
import io
import random
import zoneinfo

from django.core.management import call_command
from django.db.models import Sum
from django.test import TestCase

from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.demo.builder import DEMO_PASSWORD, SPB, SUMY, generate_clients
from outpost.inventory.forecast import forecasts
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import Membership, OpeningHours, Organisation, User

TODAY = datetime.date(2026, 3, 2)


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--days", "7", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "clients": Client.objects.count(),
        "contacts": Contact.objects.count(),
        "movements": StockMovement.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


class SeedDemoTests(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = seed()

    def test_creates_both_organisations_with_every_role(self) -> None:
        slugs = set(Organisation.objects.values_list("slug", flat=True))
        self.assertEqual(slugs, {"sumy-room", "spb-outreach"})
        roles = set(Membership.objects.values_list("role", flat=True))
        self.assertEqual(roles, set(Role.values))

    def test_every_demo_account_signs_in_with_the_demo_password(self) -> None:
        usernames = [member.username for spec in (SUMY, SPB) for member in spec.staff]
        users = User.objects.filter(username__in=usernames)
        self.assertEqual(len(users), len(usernames))
        for user in users:
            self.assertIs(user.check_password(DEMO_PASSWORD), True, user.username)
        self.assertEqual(
            set(users.filter(username__startswith="sumy-").values_list("language", flat=True)),
            {"uk"},
        )

    def test_every_staff_member_has_a_usual_site(self) -> None:
        self.assertIs(Membership.objects.filter(site__isnull=True).exists(), False)

    def test_each_site_has_a_store_and_opening_hours(self) -> None:
        for org in Organisation.objects.all():
            for site in org.sites.all():
                self.assertIs(
                    Location.objects.filter(site=site, kind=Location.Kind.STORE).exists(), True
                )
                self.assertIs(site.opening_hours.exists(), True, site.name)

    def test_registers_the_planned_number_of_clients(self) -> None:
        self.assertEqual(Client.objects.filter(org__slug="sumy-room").count(), 300)
        self.assertEqual(Client.objects.filter(org__slug="spb-outreach").count(), 600)

    def test_records_contacts_without_dropping_handouts(self) -> None:
        self.assertGreater(Contact.objects.filter(org__slug="sumy-room").count(), 0)
        self.assertGreater(Contact.objects.filter(org__slug="spb-outreach").count(), 0)
        self.assertNotIn("left out", self.output)

    def test_contacts_fall_within_opening_hours(self) -> None:
        hours = {(h.site_id, h.weekday): (h.opens, h.closes) for h in OpeningHours.objects.all()}
        for contact in Contact.objects.select_related("site"):
            local = contact.occurred_at.astimezone(zoneinfo.ZoneInfo(contact.site.timezone))
            opens, closes = hours[contact.site_id, local.weekday()]
            self.assertIs(opens <= local.time() <= closes, True, contact)
            self.assertEqual(local.date(), contact.date)

    def test_balances_equal_the_ledger_and_are_never_negative(self) -> None:
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
        self.assertGreaterEqual(min(balances.values()), 0)

    def test_the_forecast_flags_some_items_at_sumy_but_not_most(self) -> None:
        """The short items are left with a few days of stock; the rest last."""
        store = Location.objects.select_related("site").get(
            site__org__slug="sumy-room", kind=Location.Kind.STORE
        )
        assert store.site is not None
        rows = forecasts([store], today=store.site.local_today())
        at_risk = {row.item.name for row in rows if row.at_risk}
        self.assertTrue(set(SUMY.sites[0].short_items) <= at_risk, at_risk)
        self.assertLess(len(at_risk), store.org.items.count() // 2)
        for row in rows:
            if row.item.name in SUMY.sites[0].short_items:
                self.assertIsNotNone(row.days_of_stock)
                self.assertLessEqual(row.days_of_stock or 0, 7, row.item.name)

    def test_running_twice_changes_nothing(self) -> None:
        before = counts()
        output = seed()
        self.assertEqual(counts(), before)
        self.assertIn("sumy-room is already present", output)
        self.assertIn("spb-outreach is already present", output)

    def test_prints_the_sign_ins_and_the_password(self) -> None:
        self.assertIn("sumy-worker", self.output)
        self.assertIn("spb-courier", self.output)
        self.assertIn(DEMO_PASSWORD, self.output)


class SeedDemoDryRunTests(TestCase):
    def test_dry_run_saves_nothing(self) -> None:
        out = io.StringIO()
        call_command("seed_demo", "--days", "1", "--dry-run", stdout=out)
        self.assertIn("Dry run", out.getvalue())
        self.assertEqual(Organisation.objects.count(), 0)
        self.assertEqual(User.objects.count(), 0)


class GenerateClientsTests(TestCase):
    def test_same_seed_gives_same_codes(self) -> None:
        first = generate_clients(rng=random.Random(1), spec=SUMY, today=TODAY)
        second = generate_clients(rng=random.Random(1), spec=SUMY, today=TODAY)
        self.assertEqual([c.parts.code for c in first], [c.parts.code for c in second])

    def test_another_seed_gives_other_codes(self) -> None:
        first = generate_clients(rng=random.Random(1), spec=SPB, today=TODAY)
        other = generate_clients(rng=random.Random(2), spec=SPB, today=TODAY)
        self.assertNotEqual({c.parts.code for c in first}, {c.parts.code for c in other})

    def test_codes_are_distinct_and_ages_between_20_and_60(self) -> None:
        clients = generate_clients(rng=random.Random(1), spec=SPB, today=TODAY)
        self.assertEqual(len({c.parts.code for c in clients}), SPB.client_count)
        for client in clients:
            age = (TODAY - client.parts.birth_date).days / 365.25
            self.assertIs(20 <= age <= 60, True, client.parts.code)

    def test_some_fathers_are_unknown_and_most_clients_are_men(self) -> None:
        clients = generate_clients(rng=random.Random(1), spec=SPB, today=TODAY)
        unknown = sum(c.parts.father == "99" for c in clients)
        men = sum(c.parts.sex == "1" for c in clients)
        self.assertIs(0 < unknown < len(clients) // 10, True)
        self.assertIs(0.6 < men / len(clients) < 0.8, True)
