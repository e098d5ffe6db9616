"""What a copy of the server gives away without the keys (T11).

Recognisable contact details are stored for many clients, every feature that
touches them is used, and then the raw bytes an adversary could copy — the
database file (and its WAL) or a dump, a backup, the logs — are searched.
"""

import datetime
import logging
import subprocess
import uuid
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from outpost.backup.actions import create_backup
from outpost.backup.tests.base import LiveDatabaseTestCase
from outpost.cases.actions import install_case_lists
from outpost.cases.models import GoalType, Topic
from outpost.clients.actions import register_client
from outpost.clients.contact_details import set_contact_details
from outpost.clients.models import Client
from outpost.clients.uic import build_parts
from outpost.contacts.actions import Handout, record_contact
from outpost.core.roles import Role
from outpost.core.tests.base import StaffClient, make_org, make_site, make_staff
from outpost.delivery.tests.factories import make_bag
from outpost.inventory.actions import receive_stock
from outpost.orgs.models import Site, User

CANARY_DIGITS = "9990000"  # every canary phone is +7 999 000 0xxx
CANARY_HANDLE = "canary_f3a9"
CLIENTS = 40
CANARY_ADDRESS = "Kanareikina"  # a street name typed into a delivery order


def canary_phone(number: int) -> str:
    return f"+7 (999) 000-{number // 100:02d}-{number % 100:02d}"


def raw_database_bytes(settings_dict: dict[str, object]) -> bytes:
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(str(settings_dict["NAME"]))
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    command = [
        "pg_dump",
        "--host",
        str(settings_dict.get("HOST") or "127.0.0.1"),
        "--port",
        str(settings_dict.get("PORT") or 5432),
        "--username",
        str(settings_dict.get("USER") or "postgres"),
        str(settings_dict["NAME"]),
    ]
    return subprocess.run(command, check=True, capture_output=True).stdout  # noqa: S603


def stock_bag(site: Site, courier: User) -> None:
    condom = site.org.items.get(name="Condom")
    manager = site.org.memberships.get(role=Role.MANAGER).user
    receive_stock(
        location=make_bag(site, courier),
        item=condom,
        quantity=10,
        worker=manager,
        occurred_on=site.local_today(),
    )


class CapturedLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class SeizureInventoryTests(LiveDatabaseTestCase):
    @classmethod
    def setUpLiveData(cls) -> None:
        org = make_org("seized")
        site = make_site(org, "Room")
        manager = make_staff(org, "seized-manager", Role.MANAGER, site)
        for number in range(CLIENTS):
            parts = build_parts(
                "Olena",
                "Petro",
                "1",
                datetime.date(1970 + number, 1, 1),
                today=datetime.date(2026, 3, 2),
            )
            client, _ = register_client(org=org, parts=parts, groups=[], worker=manager)
            record_contact(
                site=site, worker=manager, channel="window", client=client, handout=Handout()
            )
            set_contact_details(
                client=client,
                worker=manager,
                phone=canary_phone(number),
                telegram=f"@{CANARY_HANDLE}{number}",
            )

    def test_no_contact_detail_is_readable_from_the_database_a_backup_or_the_logs(self) -> None:
        logs = CapturedLogs()
        root = logging.getLogger()
        previous_level = root.level
        root.addHandler(logs)
        root.setLevel(logging.DEBUG)
        try:
            self.use_every_feature()
            live = connections[DEFAULT_DB_ALIAS].settings_dict
            backup = create_backup(
                database=live,
                out_dir=self.work / "backups",
                now=datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC),
            )
            connections[DEFAULT_DB_ALIAS].close()
            seized = {
                "database": raw_database_bytes(live),
                "backup": Path(backup.path).read_bytes(),
                "logs": "\n".join(logs.lines).encode(),
            }
        finally:
            root.removeHandler(logs)
            root.setLevel(previous_level)
        self.assertGreater(len(seized["database"]), 10_000)
        for place, data in seized.items():
            with self.subTest(place=place):
                self.assertNotIn(CANARY_DIGITS.encode(), data)
                self.assertNotIn(CANARY_HANDLE.encode(), data.lower())
                self.assertNotIn(CANARY_ADDRESS.lower().encode(), data.lower())

    def use_testing(self, browser: StaffClient, site: Site, client: Client) -> None:
        """Refer, start ART, and read results and lists; a phone typed as a regimen is refused."""
        args = [site.pk, client.pk]
        referred = browser.post(
            reverse("testing:refer", args=args),
            {
                "target": "doctor",
                "due_on": site.local_today().isoformat(),
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(referred.status_code, 302)
        art = {
            "started_on": site.local_today().isoformat(),
            "days_per_supply": 30,
            "next_due_on": site.local_today().isoformat(),
        }
        for regimen, status in [(canary_phone(98), 422), ("TDF/3TC/DTG", 302)]:
            started = browser.post(
                reverse("testing:art_start", args=args),
                {**art, "regimen": regimen, "idempotency_key": str(uuid.uuid4())},
            )
            self.assertEqual(started.status_code, status)
        for page in [
            reverse("testing:client", args=args),
            reverse("testing:referrals_due", args=[site.pk]),
            reverse("testing:art_due", args=[site.pk]),
            reverse("testing:cascade", args=[site.pk]),
        ]:
            self.assertEqual(browser.get(page).status_code, 200)

    def use_cases(self, browser: StaffClient, site: Site, client: Client) -> None:
        """Open a case and record a consultation whose words carry the canaries.

        The case manager reads them back on the case page; an M&E officer's
        figures never show them.
        """
        install_case_lists(org=site.org)
        words = f"Call {CANARY_HANDLE} on +{CANARY_DIGITS}150"
        opened = browser.post(
            reverse("cases:open", args=[site.pk, client.pk]),
            {
                "goal_types": [GoalType.objects.get(org=site.org, name="Housing").pk],
                "own_goal": words,
                "manager": browser.session["_auth_user_id"],
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(opened.status_code, 302)
        case_url = opened.headers["Location"]
        consulted = browser.post(
            case_url + "consult/",
            {
                "channel": "phone",
                "topic": Topic.objects.get(org=site.org, name="Housing").pk,
                "minutes": 15,
                "note": words,
                "follow_up_1": words,
                "due_1": site.local_today().isoformat(),
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(consulted.status_code, 302)
        self.assertContains(browser.get(case_url), CANARY_HANDLE, count=3)
        self.assertContains(browser.get(reverse("cases:caseload")), CANARY_HANDLE)
        self.assertEqual(browser.get(reverse("cases:history", args=[client.pk])).status_code, 200)
        officer = StaffClient()
        officer.force_login(make_staff(site.org, "seized-officer", Role.ME_OFFICER, site))
        self.assertNotContains(officer.get(reverse("cases:figures")), CANARY_HANDLE)

    def use_delivery(self, browser: StaffClient, site: Site) -> None:
        """Take an order with an address, reveal it, and hand it to a courier who reveals it."""
        today = site.local_today().isoformat()
        taken = browser.post(
            reverse("delivery:order_new", args=[site.pk]),
            {
                f"item_{site.org.items.get(name='Condom').pk}": 3,
                "place_kind": "address",
                "place": f"{CANARY_ADDRESS} 7, flat 3",
                "reach": canary_phone(97),
                "window_date": today,
                "window_starts": "00:00",
                "window_ends": "23:59",
                "requested_via": "phone",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(taken.status_code, 302)
        order_url = taken["Location"]
        self.assertContains(browser.post(order_url, {"action": "reveal"}), CANARY_ADDRESS)
        self.assertEqual(browser.post(order_url, {"action": "approve"}).status_code, 302)
        courier = make_staff(site.org, "seized-courier", Role.COURIER, site)
        stock_bag(site, courier)
        browser.post(order_url, {"action": "assign", "courier": courier.pk})
        bag = StaffClient()
        bag.force_login(courier)
        order_id = int(order_url.rstrip("/").rsplit("/", 1)[1])
        route = reverse("delivery:route")
        self.assertContains(
            bag.post(route, {"order": order_id, "action": "reveal"}), CANARY_ADDRESS
        )
        self.assertEqual(
            bag.post(route, {"order": order_id, "action": "delivered"}).status_code, 302
        )

    def use_every_feature(self) -> None:
        """Open, reveal, change and export, as staff do in a day."""
        org_client = Client.objects.order_by("pk").first()
        assert org_client is not None
        site = org_client.org.sites.get()
        browser = StaffClient()
        browser.force_login(make_staff(org_client.org, "seized-case", Role.CASE_MANAGER, site))
        details = reverse(
            "clients:contact_details", kwargs={"site_id": site.pk, "client_id": org_client.pk}
        )
        self.assertEqual(
            browser.get(reverse("contacts:visit", args=[site.pk, org_client.pk])).status_code,
            200,
        )
        revealed = browser.post(details, {"action": "reveal"})
        self.assertContains(revealed, CANARY_HANDLE)
        browser.post(details, {"action": "save", "phone": canary_phone(99), "telegram": ""})
        refused = browser.post(details, {"action": "save", "phone": "99900", "telegram": ""})
        self.assertEqual(refused.status_code, 422)
        self.use_testing(browser, site, org_client)
        self.use_delivery(browser, site)
        self.use_cases(browser, site, org_client)
        manager = StaffClient()
        manager.force_login(org_client.org.memberships.get(role=Role.MANAGER).user)
        self.assertEqual(manager.get(reverse("audit:export")).status_code, 200)
