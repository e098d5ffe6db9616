import datetime
import io
import random
import zoneinfo
from collections import Counter

from django.core.management import call_command
from django.db.models import Sum
from django.test import TestCase

from outpost.cases.models import Case, Consultation, FollowUp
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.choices import Channel
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.delivery.models import DeliveryOrder
from outpost.demo.builder import DEMO_PASSWORD, SPB, SUMY, generate_clients
from outpost.inventory.forecast import forecasts
from outpost.inventory.models import Location, StockBalance, StockMovement, Transfer
from outpost.modes.models import Mode, ModeChange
from outpost.orgs.models import Membership, OpeningHours, Organisation, Site, User
from outpost.outreach.models import Stop, WebOutreachFigures
from outpost.room.models import Disinfection, Event, OverdoseIncident, RoomSession
from outpost.testing.models import ArtCourse, Referral, Test

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
        "mode changes": ModeChange.objects.count(),
        "room sessions": RoomSession.objects.count(),
        "incidents": OverdoseIncident.objects.count(),
        "events": Event.objects.count(),
        "tests": Test.objects.count(),
        "referrals": Referral.objects.count(),
        "art": ArtCourse.objects.count(),
        "cases": Case.objects.count(),
        "consultations": Consultation.objects.count(),
        "follow-ups": FollowUp.objects.count(),
        "transfers": Transfer.objects.count(),
        "deliveries": DeliveryOrder.objects.count(),
        "stops": Stop.objects.count(),
        "web figures": WebOutreachFigures.objects.count(),
    }


def site_start_of_today(site: Site) -> datetime.datetime:
    zone = zoneinfo.ZoneInfo(site.timezone)
    return datetime.datetime.combine(site.local_today(), datetime.time(), tzinfo=zone)


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

    def test_the_sumy_room_has_its_mode_history_sessions_incidents_and_events(self) -> None:
        site = Site.objects.get(org__slug="sumy-room")
        changes = list(ModeChange.objects.filter(site=site).order_by("changed_at"))
        self.assertEqual([c.mode for c in changes], [Mode.RESTRICTED, Mode.NORMAL])
        self.assertIs(all(c.reason for c in changes), True)
        self.assertLess(changes[-1].changed_at, site_start_of_today(site))
        sessions = RoomSession.objects.filter(site=site)
        self.assertGreater(sessions.count(), 0)
        self.assertIs(sessions.filter(checked_out_at__isnull=True).exists(), False)
        self.assertGreater(Disinfection.objects.filter(site=site).count(), 0)
        self.assertIs(sessions.filter(needs_disinfection=True, disinfection=None).exists(), False)
        incidents = OverdoseIncident.objects.filter(site=site)
        self.assertIn(incidents.count(), (1, 2))
        for incident in incidents:
            self.assertGreater(incident.naloxone_doses, 0)
            self.assertGreater(incident.stock_movements.count(), 0)
        kinds = set(Event.objects.filter(site=site).values_list("kind", flat=True))
        self.assertEqual(kinds, {Event.Kind.SELF_HELP, Event.Kind.TRAINING})

    def test_the_sumy_room_has_tests_referrals_and_a_client_on_art(self) -> None:
        tests = Test.objects.filter(org__slug="sumy-room")
        reactive = [test for test in tests if test.is_reactive]
        self.assertIs(0 < len(reactive) < tests.count(), True)
        statuses = Counter(
            Referral.objects.filter(org__slug="sumy-room").values_list("status", flat=True)
        )
        self.assertGreater(statuses[Referral.Status.COMPLETED], 0)
        self.assertGreater(statuses[Referral.Status.ISSUED], 0)
        self.assertEqual(statuses[Referral.Status.LOST], 1)
        self.assertEqual(ArtCourse.objects.active().filter(org__slug="sumy-room").count(), 1)

    def test_the_case_manager_has_open_cases_with_follow_ups_due(self) -> None:
        manager = User.objects.get(username="spb-case")
        office = Site.objects.get(org__slug="spb-outreach", name="Office")
        cases = Case.objects.filter(manager=manager)
        self.assertGreaterEqual(cases.open().count(), 3)
        self.assertEqual(cases.filter(closed_on__isnull=False).count(), 1)
        channels = set(
            Consultation.objects.filter(case__in=cases).values_list("contact__channel", flat=True)
        )
        self.assertTrue(channels <= {Channel.PHONE, Channel.MESSENGER}, channels)
        due = FollowUp.objects.pending().filter(case__manager=manager)
        self.assertIs(due.filter(due_on=office.local_today()).exists(), True)
        self.assertIs(due.filter(due_on__lt=office.local_today()).exists(), True)

    def test_the_courier_has_a_stocked_bag_and_a_delivery_today(self) -> None:
        courier = User.objects.get(username="spb-courier")
        hub = Site.objects.get(org__slug="spb-outreach", name="Courier hub")
        bag = Location.objects.get(kind=Location.Kind.COURIER_BAG, holder=courier)
        self.assertIs(bag.transfers_in.filter(status=Transfer.Status.RECEIVED).exists(), True)
        self.assertGreater(StockBalance.objects.filter(location=bag, quantity__gt=0).count(), 0)
        today = DeliveryOrder.objects.filter(site=hub, window_date=hub.local_today())
        self.assertIs(
            today.filter(courier=courier, status=DeliveryOrder.Status.ASSIGNED).exists(), True
        )
        self.assertGreaterEqual(len(set(today.values_list("status", flat=True))), 3)
        closed = set(DeliveryOrder.objects.filter(site=hub).values_list("status", flat=True))
        self.assertTrue({DeliveryOrder.Status.DELIVERED, DeliveryOrder.Status.FAILED} <= closed)

    def test_the_buses_have_stops_this_week_and_last_month_has_web_figures(self) -> None:
        for name in ("Blue Bus", "Little Bus"):
            site = Site.objects.get(org__slug="spb-outreach", name=name)
            week = [site.local_today() + datetime.timedelta(days=n) for n in range(7)]
            stops = Stop.objects.filter(unit__site=site, date__in=week)
            self.assertGreater(stops.count(), 0, name)
        self.assertEqual(WebOutreachFigures.objects.filter(org__slug="spb-outreach").count(), 2)

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
