"""T22: the lock, unlock and destroy commands (the admin page: test_lock_view)."""

import io
import os
import time
from pathlib import Path
from unittest import mock

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as WebClient
from django.test import TestCase

from outpost.clients.models import Client, ContactDetails
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.vault import custody
from outpost.vault.actions import DESTROY_PHRASE
from outpost.vault.crypto import DecryptionFailed, decrypt
from outpost.vault.keys import VaultLocked, is_locked
from outpost.vault.models import DataKey
from outpost.vault.tests.factories import (
    make_clients,
    make_contact_details,
    plaintext_digest,
    token,
)

NEUTRAL = "Service temporarily unavailable"
PAGES = ["/", "/accounts/login/", "/clients/", "/vault/lock/", "/no-such-page/"]


class VaultStateTestCase(TestCase):
    def setUp(self) -> None:
        self.org = make_org("org-a")
        self.site = make_site(self.org)
        self.admin = make_staff(self.org, "admin", Role.ADMIN, self.site)
        self.worker = make_staff(self.org, "worker", Role.SOCIAL_WORKER, self.site)
        self.clients = make_clients(self.org, 50)
        make_contact_details(self.clients)
        for client in self.clients[:10]:
            record_contact(
                site=self.site,
                worker=self.worker,
                channel="room",
                client=client,
                handout=Handout(),
            )
        self.before = plaintext_digest()
        self.tokens = {row.pk: token(row.phone) for row in ContactDetails.objects.all()}
        self.sealed = Path(custody.key_dir()).parent / "sealed.txt"
        self.sealed.write_text(custody.seal(custody.master_key_path().read_bytes()))
        # Two people signed in, on two devices.
        self.client.force_login(self.admin)
        WebClient().force_login(self.worker)

    def audit_count(self, verb: str) -> int:
        return AuditEvent.objects.filter(verb=verb).count()

    def assert_every_page_is_neutral(self) -> None:
        for url in PAGES:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, NEUTRAL, status_code=503)
                body = response.content.decode().lower()
                for word in ("lock", "key", "vault", "encrypt", "outpost"):
                    self.assertNotIn(word, body)
        response = self.client.post("/accounts/login/", {"username": "admin", "password": "x"})
        self.assertEqual(response.status_code, 503)


class LockTests(VaultStateTestCase):
    def test_lock_takes_effect_within_one_second(self) -> None:
        self.assertEqual(Session.objects.count(), 2)
        started = time.monotonic()
        call_command("lock", stdout=io.StringIO())

        self.assertEqual(Session.objects.count(), 0)
        self.assertFalse(custody.master_key_path().exists())
        self.assertIs(is_locked(), True)
        row = ContactDetails.objects.first()
        assert row is not None
        with self.assertRaises(VaultLocked):
            decrypt(token(row.phone), context=ContactDetails.context(row, "phone"))
        self.assertLess(time.monotonic() - started, 1.0)
        self.assert_every_page_is_neutral()
        self.assertEqual(self.audit_count("vault.locked"), 1)

    def test_the_key_file_is_overwritten_before_it_is_unlinked(self) -> None:
        path = custody.master_key_path()
        written: list[bytes] = []
        real_write = os.write

        def spy(fd: int, data: bytes) -> int:
            written.append(bytes(data))
            return real_write(fd, data)

        key = path.read_bytes()
        with mock.patch("outpost.vault.custody.os.write", side_effect=spy):
            call_command("lock", stdout=io.StringIO())
        self.assertEqual(len(written), 1)
        self.assertNotEqual(written[0], key)
        self.assertEqual(sorted(p.name for p in path.parent.iterdir()), [])

    def test_locking_twice_is_harmless(self) -> None:
        call_command("lock", stdout=io.StringIO())
        out = io.StringIO()
        call_command("lock", stdout=out)
        self.assertIn("already locked", out.getvalue())

    def test_encrypted_values_stay_in_the_database_untouched(self) -> None:
        call_command("lock", stdout=io.StringIO())
        self.assertEqual(
            {row.pk: token(row.phone) for row in ContactDetails.objects.all()}, self.tokens
        )
        self.assertEqual(DataKey.objects.count(), 2)


class UnlockTests(VaultStateTestCase):
    def setUp(self) -> None:
        super().setUp()
        call_command("lock", stdout=io.StringIO())

    def test_the_sealed_copy_brings_every_value_back(self) -> None:
        call_command("unlock", "--sealed", str(self.sealed), stdout=io.StringIO())

        self.assertIs(is_locked(), False)
        self.assertEqual(plaintext_digest(), self.before)
        self.assertEqual(self.audit_count("vault.unlocked"), 1)
        self.assertEqual(self.client.get("/accounts/login/").status_code, 200)
        self.assertEqual(os.stat(custody.master_key_path()).st_mode & 0o777, 0o600)

    def test_the_sealed_copy_can_come_from_standard_input(self) -> None:
        with mock.patch("sys.stdin", io.StringIO(self.sealed.read_text())):
            call_command("unlock", "--sealed", "-", stdout=io.StringIO())
        self.assertEqual(plaintext_digest(), self.before)

    def test_a_wrong_key_is_refused_and_nothing_changes(self) -> None:
        self.sealed.write_text(custody.seal(os.urandom(32)))
        with self.assertRaisesMessage(CommandError, "does not open the data keys"):
            call_command("unlock", "--sealed", str(self.sealed))
        self.assertFalse(custody.master_key_path().exists())
        self.assertIs(is_locked(), True)
        self.assertEqual(self.audit_count("vault.unlocked"), 0)

    def test_a_mistyped_copy_is_refused(self) -> None:
        text = self.sealed.read_text()
        line = next(line for line in text.splitlines() if line.startswith("key:"))
        digit = line[-1]
        typo = line[:-1] + ("0" if digit != "0" else "1")
        self.sealed.write_text(text.replace(line, typo))
        with self.assertRaisesMessage(CommandError, "typo"):
            call_command("unlock", "--sealed", str(self.sealed))
        self.assertIs(is_locked(), True)


class DestroyTests(VaultStateTestCase):
    def test_needs_the_exact_phrase(self) -> None:
        with self.assertRaisesMessage(CommandError, DESTROY_PHRASE):
            call_command("destroy", "--confirm", "yes")
        self.assertEqual(DataKey.objects.count(), 2)
        self.assertIs(is_locked(), False)
        self.assertEqual(plaintext_digest(), self.before)

    def test_makes_every_value_unreadable_for_good_while_codes_and_counts_stay(self) -> None:
        codes = sorted(Client.objects.values_list("code", flat=True))
        contacts = Contact.objects.count()
        call_command("destroy", "--confirm", DESTROY_PHRASE, stdout=io.StringIO())

        self.assertEqual(DataKey.objects.count(), 0)
        self.assertFalse(custody.master_key_path().exists())
        self.assertEqual(Session.objects.count(), 0)
        self.assertEqual(self.audit_count("vault.destroyed"), 1)
        self.assertEqual(sorted(Client.objects.values_list("code", flat=True)), codes)
        self.assertEqual(Contact.objects.count(), contacts)
        self.assert_every_page_is_neutral()
        # Even with a new master key, and even with the old sealed copy, the
        # old values stay unreadable.
        self.assertRaises(CommandError, call_command, "unlock", "--sealed", str(self.sealed))
        call_command("keys_init", stdout=io.StringIO())
        for row in ContactDetails.objects.all():
            with self.assertRaises(DecryptionFailed):
                decrypt(token(row.phone), context=ContactDetails.context(row, "phone"))
            self.assertEqual((row.phone_index, row.telegram_index), ("", ""))

    def test_works_on_a_locked_server(self) -> None:
        call_command("lock", stdout=io.StringIO())
        call_command("destroy", "--confirm", DESTROY_PHRASE, stdout=io.StringIO())
        self.assertEqual(DataKey.objects.count(), 0)
        self.assertEqual(self.audit_count("vault.locked"), 1)
        self.assertEqual(self.audit_count("vault.destroyed"), 1)
