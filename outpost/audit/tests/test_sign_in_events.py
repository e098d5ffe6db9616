"""Every sign-in, failed sign-in and sign-out leaves exactly one entry (ASVS 16.3.1).

A failed attempt names an account only by its id, and only when the typed
username belongs to one: neither the username nor the password is kept.
"""

import re

from django.test import Client
from django.urls import reverse

from outpost.core.models import AuditEvent
from outpost.core.tests.base import WorkerTestCase

PASSWORD = "correct horse battery"  # make_staff's password
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


class SignInEventTests(WorkerTestCase):
    def sign_in(self, username: str, password: str) -> None:
        self.client.post(reverse("login"), {"username": username, "password": password})

    def new_entries(self, since: int) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(seq__gt=since).order_by("seq"))

    def last_seq(self) -> int:
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def test_a_sign_in_is_recorded_once_with_the_person_and_the_request(self) -> None:
        since = self.last_seq()
        self.sign_in("worker", PASSWORD)
        logins = [e for e in self.new_entries(since) if e.verb.startswith("auth.")]
        self.assertEqual([e.verb for e in logins], ["auth.login"])
        self.assertEqual(logins[0].actor_id, self.worker.pk)
        self.assertEqual(logins[0].org_id, self.org.pk)
        self.assertRegex(logins[0].request_id, REQUEST_ID)

    def test_a_wrong_password_is_recorded_against_the_account_without_the_password(
        self,
    ) -> None:
        since = self.last_seq()
        self.sign_in("worker", "CANARY-PASSWORD-7c1e")
        entries = self.new_entries(since)
        self.assertEqual([e.verb for e in entries], ["auth.login_failed"])
        self.assertEqual((entries[0].actor_id, entries[0].org_id), (self.worker.pk, self.org.pk))
        self.assertRegex(entries[0].request_id, REQUEST_ID)
        self.assertNotIn("CANARY-PASSWORD-7c1e", repr(list(AuditEvent.objects.values())))

    def test_an_unknown_username_is_recorded_with_no_one_and_nothing_typed(self) -> None:
        since = self.last_seq()
        self.sign_in("canary_f3a9", "CANARY-PASSWORD-7c1e")
        entries = self.new_entries(since)
        self.assertEqual([e.verb for e in entries], ["auth.login_failed"])
        self.assertEqual((entries[0].actor_id, entries[0].org_id), (None, None))
        stored = repr(list(AuditEvent.objects.values()))
        self.assertNotIn("canary_f3a9", stored)
        self.assertNotIn("CANARY-PASSWORD-7c1e", stored)

    def test_each_attempt_counts_even_once_locked_out(self) -> None:
        """django-axes refuses the sixth attempt; it is still recorded, once."""
        since = self.last_seq()
        for _ in range(7):
            self.sign_in("worker", "wrong password")
        verbs = [e.verb for e in self.new_entries(since)]
        self.assertEqual(verbs, ["auth.login_failed"] * 7)

    def test_a_sign_out_is_recorded_once(self) -> None:
        self.sign_in("worker", PASSWORD)
        since = self.last_seq()
        self.client.post(reverse("logout"))
        entries = [e for e in self.new_entries(since) if e.verb.startswith("auth.")]
        self.assertEqual([e.verb for e in entries], ["auth.logout"])
        self.assertEqual((entries[0].actor_id, entries[0].org_id), (self.worker.pk, self.org.pk))
        self.assertRegex(entries[0].request_id, REQUEST_ID)

    def test_signing_out_when_not_signed_in_records_nothing(self) -> None:
        since = self.last_seq()
        Client().post(reverse("logout"))
        self.assertEqual(self.new_entries(since), [])
