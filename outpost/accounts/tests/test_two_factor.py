"""Setting up, using and resetting the second factor (T6, ASVS 6.5, 7.5.1)."""

import base64
import datetime
import re
from xml.etree import ElementTree

import time_machine
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)

from outpost.accounts.actions import issue_recovery_codes
from outpost.accounts.models import RecoveryCode, StaffSession
from outpost.accounts.tests.factories import (
    PASSWORD,
    code_for,
    make_device,
    sign_in,
    sign_in_with_password,
    wrong_code_for,
)
from outpost.core.models import AuditEvent
from outpost.core.tests.base import WorkerTestCase

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
VERIFY = "/account/two-factor/"
ENROL = "/account/two-factor/set-up/"
RESET = "/account/two-factor/reset/"
SITES = "/orgs/sites/"
GROUPED_CODE = re.compile(r"[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}")


def verbs() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("verb", flat=True))


class TwoFactorTestCase(WorkerTestCase):
    def setUp(self) -> None:
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.clock = time_machine.travel(START, tick=False)
        self.traveller = self.clock.start()
        self.addCleanup(self.clock.stop)


class EnrolmentTests(TwoFactorTestCase):
    def test_the_set_up_page_shows_a_qr_code_drawn_here_and_the_key(self) -> None:
        """The QR code is an inline SVG image; the key is there to type by hand."""
        sign_in_with_password(self.client, "worker")
        response = self.client.get(ENROL)
        self.assertEqual(response.status_code, 200)
        device = TOTPDevice.objects.get(user=self.worker)
        self.assertIs(device.confirmed, False)
        prefix = "data:image/svg+xml;base64,"
        self.assertTrue(response.context["qr"].startswith(prefix))
        data = base64.b64decode(response.context["qr"][len(prefix) :])
        svg = ElementTree.fromstring(data)  # noqa: S314 - drawn by this server
        # A browser draws an SVG image only with the SVG namespace.
        self.assertEqual(svg.tag, "{http://www.w3.org/2000/svg}svg")
        self.assertContains(response, f'src="{prefix}')
        key = response.context["key"].replace(" ", "")
        self.assertEqual(len(key), 32)
        self.assertNotContains(response, "http://")
        self.assertNotContains(response, "https://")
        self.assertNotContains(response, "<script>")

    def test_reloading_the_set_up_page_keeps_the_same_key(self) -> None:
        sign_in_with_password(self.client, "worker")
        first = self.client.get(ENROL).context["key"]
        self.assertEqual(self.client.get(ENROL).context["key"], first)
        self.assertEqual(TOTPDevice.objects.filter(user=self.worker).count(), 1)

    def test_a_right_code_confirms_the_app_and_shows_ten_recovery_codes_once(self) -> None:
        sign_in_with_password(self.client, "worker")
        self.client.get(ENROL)
        device = TOTPDevice.objects.get(user=self.worker)
        response = self.client.post(ENROL, {"code": code_for(device), "next": SITES})
        self.assertTemplateUsed(response, "accounts/recovery_codes.html")
        codes = response.context["codes"]
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        for code in codes:
            self.assertRegex(code, GROUPED_CODE)
            self.assertContains(response, code)
        self.assertContains(response, f'href="{SITES}"')
        device.refresh_from_db()
        self.assertIs(device.confirmed, True)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        # Never again: the set-up page now leads to the reset page instead.
        self.assertRedirects(self.client.get(ENROL), RESET, fetch_redirect_response=False)
        self.assertIn("otp.enrolled", verbs())

    def test_a_wrong_code_leaves_the_app_unconfirmed(self) -> None:
        sign_in_with_password(self.client, "worker")
        self.client.get(ENROL)
        device = TOTPDevice.objects.get(user=self.worker)
        response = self.client.post(ENROL, {"code": wrong_code_for(device)})
        self.assertContains(response, "That code is wrong")
        device.refresh_from_db()
        self.assertIs(device.confirmed, False)
        self.assertFalse(RecoveryCode.objects.exists())
        self.assertRedirects(
            self.client.get(SITES),
            f"{ENROL}?next=%2Forgs%2Fsites%2F",
            fetch_redirect_response=False,
        )

    def test_a_password_alone_cannot_set_up_a_second_app(self) -> None:
        """Someone with only the password cannot swap in their own phone."""
        make_device(self.worker)
        sign_in_with_password(self.client, "worker")
        self.assertRedirects(self.client.get(ENROL), VERIFY, fetch_redirect_response=False)
        self.assertEqual(self.client.post(ENROL, {"code": "123456"}).status_code, 302)
        self.assertEqual(TOTPDevice.objects.filter(user=self.worker).count(), 1)


class RecoveryCodeStorageTests(TwoFactorTestCase):
    def test_codes_come_from_the_csprng_grouped_in_fours(self) -> None:
        first = issue_recovery_codes(user=self.worker)
        second = issue_recovery_codes(user=self.worker)
        self.assertEqual(len(first), 10)
        self.assertFalse(set(first) & set(second))
        for code in first + second:
            self.assertRegex(code, GROUPED_CODE)

    def test_the_database_holds_no_code_in_plain_text(self) -> None:
        """Only a salted hash and the first four characters are stored (ASVS 6.5.2)."""
        codes = issue_recovery_codes(user=self.worker)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM accounts_recoverycode")
            rows = cursor.fetchall()
        self.assertEqual(len(rows), 10)
        stored = " ".join(str(value) for row in rows for value in row)
        for code in codes:
            self.assertNotIn(code, stored)
            self.assertNotIn(code.replace("-", ""), stored)
            self.assertNotIn(code.replace("-", "")[4:], stored)
        for row in RecoveryCode.objects.all():
            self.assertNotEqual(row.code_hash, "")
            self.assertIn("$", row.code_hash)
        self.assertTrue(
            any(
                check_password(codes[0].replace("-", ""), row.code_hash)
                for row in RecoveryCode.objects.all()
            )
        )
        # Issuing new codes removes the old ones.
        issue_recovery_codes(user=self.worker)
        self.assertEqual(RecoveryCode.objects.filter(user=self.worker).count(), 10)


class VerificationTests(TwoFactorTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.device = make_device(self.worker)

    def test_a_right_code_opens_the_next_page_and_rotates_the_session_key(self) -> None:
        sign_in_with_password(self.client, "worker")
        password_only_key = self.client.session.session_key
        response = self.client.post(VERIFY, {"code": code_for(self.device), "next": SITES})
        self.assertRedirects(response, SITES, fetch_redirect_response=False)
        self.assertNotEqual(self.client.session.session_key, password_only_key)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        self.assertIn("otp.verified", verbs())

    def test_a_code_cannot_be_used_twice(self) -> None:
        """The same code in the same time step is refused the second time (ASVS 6.5.1)."""
        code = code_for(self.device)
        sign_in_with_password(self.client, "worker")
        self.assertEqual(self.client.post(VERIFY, {"code": code}).status_code, 302)
        replay = Client()
        sign_in_with_password(replay, "worker")
        response = replay.post(VERIFY, {"code": code})
        self.assertContains(response, "That code is wrong or has already been used.")
        self.assertEqual(replay.get(SITES).status_code, 302)

    def test_an_earlier_code_is_refused_after_a_later_one_was_used(self) -> None:
        earlier = code_for(self.device)
        self.traveller.shift(30)
        sign_in(self.client, self.worker, self.device)
        other = Client()
        sign_in_with_password(other, "worker")
        self.assertContains(other.post(VERIFY, {"code": earlier}), "already been used")

    def test_ten_wrong_codes_hold_back_even_a_right_eleventh(self) -> None:
        """Each wrong code doubles the wait; a right code must wait too (ASVS 6.3)."""
        sign_in_with_password(self.client, "worker")
        for failure in range(10):
            if failure:
                # Wait out the previous failure so each one is counted.
                self.traveller.shift(2 ** (failure - 1))
            self.client.post(VERIFY, {"code": wrong_code_for(self.device)})
        self.device.refresh_from_db()
        self.assertEqual(self.device.throttling_failure_count, 10)
        response = self.client.post(VERIFY, {"code": code_for(self.device)})
        self.assertContains(response, "Too many wrong codes")
        self.assertEqual(self.client.get(SITES).status_code, 302)
        self.traveller.shift(2**9)
        response = self.client.post(VERIFY, {"code": code_for(self.device)})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        self.assertEqual(verbs().count("otp.failed"), 10)

    def test_a_recovery_code_works_once(self) -> None:
        """A recovery code signs in once and is then spent (ASVS 6.5.1)."""
        code = issue_recovery_codes(user=self.worker)[3]
        sign_in_with_password(self.client, "worker")
        response = self.client.post(VERIFY, {"code": code, "next": SITES})
        self.assertRedirects(response, SITES, fetch_redirect_response=False)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        spent = RecoveryCode.objects.get(user=self.worker, used_at__isnull=False)
        self.assertEqual(spent.lookup, code[:4])
        self.assertIn("otp.recovery_code_used", verbs())

        self.traveller.shift(5)
        again = Client()
        sign_in_with_password(again, "worker")
        response = again.post(VERIFY, {"code": code})
        self.assertContains(response, "That code is wrong or has already been used.")
        self.assertEqual(RecoveryCode.objects.filter(used_at__isnull=True).count(), 9)

    def test_a_recovery_code_may_be_typed_in_lower_case_without_dashes(self) -> None:
        code = issue_recovery_codes(user=self.worker)[0]
        sign_in_with_password(self.client, "worker")
        loose = " ".join(code.replace("-", "").lower()[i : i + 8] for i in (0, 8))
        self.assertEqual(self.client.post(VERIFY, {"code": loose}).status_code, 302)

    def test_the_verify_page_offers_a_recovery_code_field(self) -> None:
        sign_in_with_password(self.client, "worker")
        response = self.client.get(VERIFY, {"method": "recovery"})
        self.assertContains(response, "Recovery code")
        self.assertContains(self.client.get(VERIFY), "?method=recovery")


class ResetTests(TwoFactorTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.device = make_device(self.worker)
        self.old_codes = issue_recovery_codes(user=self.worker)
        sign_in(self.client, self.worker, self.device)
        self.traveller.shift(30)

    def test_a_password_only_session_cannot_open_the_reset_page(self) -> None:
        other = Client()
        sign_in_with_password(other, "worker")
        self.assertRedirects(
            other.get(RESET),
            f"{VERIFY}?next=%2Faccount%2Ftwo-factor%2Freset%2F",
            fetch_redirect_response=False,
        )

    def test_a_wrong_password_is_refused(self) -> None:
        response = self.client.post(
            RESET, {"password": "wrong horse battery", "code": code_for(self.device)}
        )
        self.assertContains(response, "The password or the code is wrong.")
        self.assertEqual(TOTPDevice.objects.filter(user=self.worker).count(), 1)
        self.assertIn("otp.reset_refused", verbs())

    def test_a_wrong_code_is_refused(self) -> None:
        response = self.client.post(
            RESET, {"password": PASSWORD, "code": wrong_code_for(self.device)}
        )
        self.assertContains(response, "The password or the code is wrong.")
        self.assertEqual(TOTPDevice.objects.filter(user=self.worker).count(), 1)

    def test_password_and_code_lead_to_a_new_app_and_new_recovery_codes(self) -> None:
        """The old app works until the new one is confirmed; then old codes die."""
        elsewhere = Client()
        self.traveller.shift(30)
        sign_in(elsewhere, self.worker, self.device)
        self.traveller.shift(30)
        response = self.client.post(RESET, {"password": PASSWORD, "code": code_for(self.device)})
        self.assertRedirects(response, ENROL, fetch_redirect_response=False)
        page = self.client.get(ENROL)
        self.assertContains(page, "Your old authenticator keeps working")
        new_device = TOTPDevice.objects.get(user=self.worker, confirmed=False)
        self.assertEqual(self.client.get(SITES).status_code, 200)

        response = self.client.post(ENROL, {"code": code_for(new_device)})
        self.assertTemplateUsed(response, "accounts/recovery_codes.html")
        new_codes = response.context["codes"]
        self.assertFalse(set(new_codes) & set(self.old_codes))
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.worker)), [new_device])
        self.assertEqual(self.client.get(SITES).status_code, 200)
        # The session on the other browser ended with the reset.
        self.assertRedirects(
            elsewhere.get(SITES),
            f"{reverse('login')}?next=%2Forgs%2Fsites%2F",
            fetch_redirect_response=False,
        )
        self.assertEqual(StaffSession.objects.filter(ended_at__isnull=True).count(), 1)
        self.assertIn("otp.reset", verbs())

        self.traveller.shift(30)
        late = Client()
        sign_in_with_password(late, "worker")
        self.assertContains(late.post(VERIFY, {"code": self.old_codes[0]}), "already been used")

    def test_an_abandoned_reset_keeps_the_old_app(self) -> None:
        self.client.post(RESET, {"password": PASSWORD, "code": code_for(self.device)})
        self.traveller.shift(30)
        other = Client()
        self.assertEqual(sign_in(other, self.worker, self.device).status_code, 302)
        self.assertEqual(other.get(SITES).status_code, 200)
        # Another browser with only the password cannot reach the pending app.
        third = Client()
        sign_in_with_password(third, "worker")
        self.assertRedirects(third.get(ENROL), VERIFY, fetch_redirect_response=False)
