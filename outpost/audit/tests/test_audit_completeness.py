"""T15: each sensitive action that exists leaves exactly one entry of its own.

Each entry names the person, the action and the record by id, at a UTC time
and with the id of the request that caused it. A meta-test makes sure no
client page can skip ``get_client_for_user``, which writes "client.viewed".
"""

import datetime
import importlib
import importlib.util
import inspect
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterator

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import outpost
from outpost.clients.models import Client as OutreachClient
from outpost.core.models import AuditEvent
from outpost.core.tests.base import BaseTestCase
from outpost.inventory.actions import store_of
from outpost.inventory.models import StockMovement

PASSWORD = "correct horse battery"  # make_staff's password
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
# Typed at sign-in; none may reach the audit table.
CANARIES = ("canary_f3a9", "CANARY-PASSWORD-7c1e", "Олена", "Ґеннадій")


class AuditCompletenessTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def entries_written_by(self, action: Callable[[], object]) -> list[AuditEvent]:
        since = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        started = timezone.now()
        action()
        entries = list(AuditEvent.objects.filter(seq__gt=since).order_by("seq"))
        for entry in entries:
            self.assertEqual(entry.at.utcoffset(), datetime.timedelta(0), "stored in UTC")
            self.assertGreaterEqual(entry.at, started)
            self.assertRegex(entry.request_id, REQUEST_ID)
        return entries

    def assert_one(
        self,
        entries: list[AuditEvent],
        verb: str,
        *,
        actor_id: int | None,
        target: tuple[str, int] | None = None,
    ) -> AuditEvent:
        matching = [entry for entry in entries if entry.verb == verb]
        self.assertEqual(len(matching), 1, f"{verb}: {[e.verb for e in entries]}")
        entry = matching[0]
        self.assertEqual(entry.actor_id, actor_id)
        self.assertEqual(entry.org_id, self.org.pk if actor_id is not None else None)
        if target is not None:
            self.assertEqual((entry.target_type, entry.target_id), target)
        return entry

    def test_viewing_a_client_is_recorded(self) -> None:
        self.client.force_login(self.worker)
        url = reverse("contacts:visit", args=[self.site.pk, self.anna.pk])
        entries = self.entries_written_by(lambda: self.client.get(url))
        self.assertEqual([e.verb for e in entries], ["client.viewed"])
        self.assert_one(
            entries,
            "client.viewed",
            actor_id=self.worker.pk,
            target=("clients.client", self.anna.pk),
        )

    def test_registering_a_client_is_recorded(self) -> None:
        self.client.force_login(self.worker)
        url = reverse("clients:register", args=[self.site.pk])
        data = {
            "mother_name": "Олена",
            "father_name": "Ґеннадій",
            "sex": "2",
            "birth_date": "1990-05-17",
            "groups": ["sex_work"],
        }
        entries = self.entries_written_by(lambda: self.client.post(url, data))
        client = OutreachClient.objects.get(org=self.org, code="OLGE217051990")
        self.assertEqual([e.verb for e in entries], ["client.registered"])
        self.assert_one(
            entries,
            "client.registered",
            actor_id=self.worker.pk,
            target=("clients.client", client.pk),
        )

    def test_recording_a_contact_is_recorded_with_the_look_at_the_client(self) -> None:
        self.client.force_login(self.worker)
        url = reverse("contacts:visit", args=[self.site.pk, self.anna.pk])
        data = {
            "kits": [self.injecting_kit.pk],
            "syringes_returned": 1,
            "channel": "window",
            "idempotency_key": str(uuid.uuid4()),
        }
        entries = self.entries_written_by(lambda: self.client.post(url, data))
        self.assertEqual([e.verb for e in entries], ["client.viewed", "contact.recorded"])
        contact = self.assert_one(entries, "contact.recorded", actor_id=self.worker.pk)
        self.assertEqual(contact.target_type, "contacts.contact")
        self.assertEqual(len({e.request_id for e in entries}), 1, "one request, one id")

    def test_receiving_stock_is_recorded(self) -> None:
        self.client.force_login(self.worker)
        url = reverse("inventory:receive", args=[store_of(self.site).pk])
        data = {"item": self.condom.pk, "quantity": 10}
        entries = self.entries_written_by(lambda: self.client.post(url, data))
        movement = StockMovement.objects.order_by("-pk").first()
        assert movement is not None
        self.assertEqual([e.verb for e in entries], ["stock.received"])
        self.assert_one(
            entries,
            "stock.received",
            actor_id=self.worker.pk,
            target=("inventory.stockmovement", movement.pk),
        )

    def test_signing_in_failing_and_signing_out_are_recorded(self) -> None:
        browser = Client()
        login = reverse("login")
        cases: list[tuple[str, Callable[[], object], str, int | None]] = [
            (
                "wrong password",
                lambda: browser.post(login, {"username": "worker", "password": CANARIES[1]}),
                "auth.login_failed",
                self.worker.pk,
            ),
            (
                "unknown user",
                lambda: browser.post(login, {"username": CANARIES[0], "password": CANARIES[1]}),
                "auth.login_failed",
                None,
            ),
            (
                "sign in",
                lambda: browser.post(login, {"username": "worker", "password": PASSWORD}),
                "auth.login",
                self.worker.pk,
            ),
            ("sign out", lambda: browser.post(reverse("logout")), "auth.logout", self.worker.pk),
        ]
        for name, action, verb, actor_id in cases:
            with self.subTest(name):
                entries = self.entries_written_by(action)
                self.assertEqual([e.verb for e in entries], [verb])
                self.assert_one(entries, verb, actor_id=actor_id)

    def test_exporting_the_audit_trail_is_recorded(self) -> None:
        self.client.force_login(self.manager)
        url = reverse("audit:export")
        entries = self.entries_written_by(lambda: list(self.client.get(url)))
        self.assertEqual([e.verb for e in entries], ["audit.exported"])
        self.assert_one(entries, "audit.exported", actor_id=self.manager.pk)

    def test_no_typed_name_or_password_is_ever_stored(self) -> None:
        browser = Client()
        browser.post(reverse("login"), {"username": CANARIES[0], "password": CANARIES[1]})
        browser.post(reverse("login"), {"username": "worker", "password": CANARIES[1]})
        self.client.force_login(self.worker)
        self.client.post(
            reverse("clients:register", args=[self.site.pk]),
            {"mother_name": CANARIES[2], "father_name": CANARIES[3], "sex": "1"}
            | {"birth_date": "1990-01-01", "groups": ["sex_work"]},
        )
        stored = repr(list(AuditEvent.objects.values())).casefold()
        for canary in CANARIES:
            with self.subTest(canary=canary):
                self.assertNotIn(canary.casefold(), stored)


def _view_modules() -> Iterator[str]:
    for app in pkgutil.iter_modules(outpost.__path__):
        name = f"outpost.{app.name}.views"
        if importlib.util.find_spec(name) is not None:
            yield name


def _patterns(resolver: URLResolver) -> Iterator[URLPattern]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        else:
            yield entry


class ClientPagesAreAuditedTests(BaseTestCase):
    """A page about one client must fetch it with get_client_for_user."""

    def test_every_view_taking_a_client_id_fetches_the_client_through_the_audited_helper(
        self,
    ) -> None:
        checked = []
        for module_name in _view_modules():
            module = importlib.import_module(module_name)
            for name, view in inspect.getmembers(module, inspect.isfunction):
                function = inspect.unwrap(view)
                if function.__module__ != module_name:
                    continue
                if "client_id" not in inspect.signature(function).parameters:
                    continue
                checked.append(f"{module_name}.{name}")
                with self.subTest(view=checked[-1]):
                    self.assertIn("get_client_for_user(", inspect.getsource(function))
        self.assertIn("outpost.contacts.views.visit", checked)

    def test_every_url_with_a_client_id_leads_to_a_view_in_a_views_module(self) -> None:
        """So the check above sees every client page, wherever it is mounted."""
        for pattern in _patterns(get_resolver()):
            if "client_id" not in str(pattern.pattern):
                continue
            function = inspect.unwrap(pattern.callback)
            with self.subTest(url=str(pattern.pattern)):
                self.assertRegex(function.__module__, r"^outpost\.\w+\.views$")
