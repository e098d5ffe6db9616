"""The daily stock alert email (manage.py send_stock_alerts).

On 2 March the Sumy room store received 100 of every item (BaseTestCase)
and handed out 90 syringes the same day: 10 left at 90 a day, so the
forecast proposes an order and the syringes run out that day.
Organisation B's only naloxone is gone too.
"""

import datetime
import io
import smtplib
import zoneinfo
from collections.abc import Sequence

import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.test import override_settings

from outpost.catalogue.models import Item
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.inventory.actions import dispense_stock, receive_stock, store_of
from outpost.inventory.models import StockAlert
from outpost.orgs.models import User

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
MORNING = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=KYIV)
NEXT_MORNING = datetime.datetime(2026, 3, 3, 7, 0, tzinfo=KYIV)


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("send_stock_alerts", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def with_email(user: User, email: str, language: str = "") -> User:
    user.email = email
    user.language = language
    user.save(update_fields=["email", "language"])
    return user


class AlertTestCase(BaseTestCase):
    admin: User
    manager_b: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        with_email(cls.manager, "manager@org-a.example", "en")
        cls.admin = with_email(
            make_staff(cls.org, "admin", Role.ADMIN, cls.site), "admin@org-a.example", "uk"
        )
        # Staff who must not get the email: a worker, and a manager with no address.
        with_email(cls.worker, "worker@org-a.example", "en")
        make_staff(cls.org, "quiet-manager", Role.MANAGER, cls.site)
        cls.manager_b = with_email(
            make_staff(cls.other_org, "manager-b", Role.MANAGER, cls.other_site),
            "manager@org-b.example",
            "en",
        )
        today = MORNING.date()
        dispense_stock(
            location=store_of(cls.site),
            lines=[(cls.syringe, 90)],
            worker=cls.worker,
            occurred_on=today,
        )
        naloxone_b = Item.objects.get(org=cls.other_org, category__code="naloxone")
        receive_stock(
            location=store_of(cls.other_site),
            item=naloxone_b,
            quantity=4,
            worker=cls.outsider,
            expires_on=datetime.date(2030, 1, 1),
            occurred_on=today,
        )
        dispense_stock(
            location=store_of(cls.other_site),
            lines=[(naloxone_b, 4)],
            worker=cls.outsider,
            occurred_on=today,
        )

    def sent_to(self, address: str) -> EmailMessage:
        found = [message for message in mail.outbox if message.to == [address]]
        self.assertEqual(len(found), 1, address)
        return found[0]


@time_machine.travel(MORNING, tick=False)
class SendStockAlertsTests(AlertTestCase):
    def test_emails_the_managers_and_admins_what_needs_attention(self) -> None:
        """Each manager with an address gets one message naming the item and the order."""
        output = run()
        self.assertEqual(
            sorted(message.to[0] for message in mail.outbox),
            ["admin@org-a.example", "manager@org-a.example", "manager@org-b.example"],
        )
        message = self.sent_to("manager@org-a.example")
        self.assertEqual(message.subject, "Stock: 1 item needs attention at Org-A")
        self.assertIn("Stock that needs attention on March 2, 2026:", message.body)
        self.assertIn("Sumy room · Syringe 2 ml: 10 on hand", message.body)
        self.assertIn("0 days left, runs out on March 2, 2026", message.body)
        # ADC 90: maximum (30 + 14 + 30) × 90 = 6660, less the 10 on hand.
        self.assertIn("Proposed order: 6650", message.body)
        self.assertNotIn("Naloxone", message.body)
        alert = StockAlert.objects.get(org=self.org)
        self.assertEqual(
            (alert.sent_on, alert.items_at_risk, alert.recipients),
            (datetime.date(2026, 3, 2), 1, 2),
        )
        self.assertIn("org-a 2026-03-02: sent, 1 item(s) at a location, 2 recipient(s)", output)

    def test_each_organisation_hears_only_of_its_own_stock(self) -> None:
        run()
        message = self.sent_to("manager@org-b.example")
        self.assertEqual(message.subject, "Stock: 1 item needs attention at Org-B")
        self.assertIn("Other room · Naloxone 0.4 mg/ml ampoule: 0 on hand", message.body)
        self.assertNotIn("Syringe", message.body)
        self.assertNotIn("Sumy room", message.body)

    def test_writes_in_each_recipients_language(self) -> None:
        """The administrator reads Ukrainian; staff without a choice get the default."""
        run()
        body = self.sent_to("admin@org-a.example").body
        self.assertIn("Шприц 2 мл", body)
        self.assertIn("березня 2026", body)
        self.assertNotIn("Syringe 2 ml", body)
        self.assertIn("Syringe 2 ml", self.sent_to("manager@org-a.example").body)
        mail.outbox.clear()
        StockAlert.objects.all().delete()
        with_email(self.manager, "manager@org-a.example", "")
        with override_settings(LANGUAGE_CODE="uk"):
            run()
        self.assertIn("Шприц 2 мл", self.sent_to("manager@org-a.example").body)

    def test_a_second_run_the_same_day_sends_nothing(self) -> None:
        run()
        sent = len(mail.outbox)
        output = run()
        self.assertEqual(len(mail.outbox), sent)
        self.assertIn("org-a 2026-03-02: already sent", output)
        self.assertEqual(StockAlert.objects.filter(org=self.org).count(), 1)

    def test_a_run_that_lost_the_race_sends_nothing(self) -> None:
        """The day's row written by a run at the same moment stops this one."""
        StockAlert.objects.create(
            org=self.org, sent_on=datetime.date(2026, 3, 2), items_at_risk=1, recipients=2
        )
        run()
        self.assertEqual([message.to for message in mail.outbox], [["manager@org-b.example"]])

    def test_sends_again_the_next_day(self) -> None:
        run()
        with time_machine.travel(NEXT_MORNING, tick=False):
            output = run()
        self.assertEqual(len(mail.outbox), 6)
        self.assertIn("org-a 2026-03-03: sent", output)
        # Day two: 90 over two days in stock, ADC 45; ⌊10 ÷ 45⌋ = 0 days.
        self.assertIn(
            "0 days left, runs out on March 3, 2026",
            "".join(str(message.body) for message in mail.outbox[3:]),
        )

    def test_lists_lots_that_expire_soon(self) -> None:
        receive_stock(
            location=store_of(self.site),
            item=Item.objects.get(org=self.org, category__code="naloxone"),
            quantity=5,
            lot="N7",
            expires_on=datetime.date(2026, 4, 1),
            worker=self.manager,
            occurred_on=datetime.date(2026, 3, 2),
        )
        run()
        body = self.sent_to("manager@org-a.example").body
        self.assertIn(
            "Stock: 2 items need attention", self.sent_to("manager@org-a.example").subject
        )
        self.assertIn("Sumy room · Naloxone 0.4 mg/ml ampoule: 105 on hand", body)
        self.assertIn("Lot N7 expires on April 1, 2026: 5", body)

    def test_links_to_the_stock_overview_when_the_site_address_is_set(self) -> None:
        with override_settings(SITE_URL="https://outpost.example.org"):
            run()
        body = self.sent_to("manager@org-a.example").body
        self.assertIn("Stock overview: https://outpost.example.org/stock/", body)

    def test_has_no_link_without_a_site_address(self) -> None:
        with override_settings(SITE_URL=""):
            run()
        self.assertNotIn("http", self.sent_to("manager@org-a.example").body)

    def test_a_failed_send_is_tried_again_on_the_next_run(self) -> None:
        """Nothing is recorded when the mail server is down."""
        backend = f"{__name__}.FailingBackend"
        with (
            override_settings(EMAIL_BACKEND=backend),
            self.assertRaisesMessage(CommandError, "Stock alerts failed for: org-a, org-b"),
        ):
            run()
        self.assertFalse(StockAlert.objects.exists())
        run()
        self.assertEqual(len(mail.outbox), 3)

    def test_a_dry_run_sends_and_records_nothing(self) -> None:
        output = run("--dry-run")
        self.assertEqual(mail.outbox, [])
        self.assertFalse(StockAlert.objects.exists())
        self.assertIn(
            "org-a 2026-03-02: would send, 1 item(s) at a location, 2 recipient(s)", output
        )

    def test_a_date_can_be_given(self) -> None:
        run("--date", "2026-03-03")
        self.assertEqual(StockAlert.objects.get(org=self.org).sent_on, datetime.date(2026, 3, 3))


@time_machine.travel(MORNING, tick=False)
class QuietDayTests(BaseTestCase):
    def test_sends_nothing_when_nothing_needs_attention(self) -> None:
        """Full shelves and nothing expiring: no email, no record."""
        with_email(self.manager, "manager@org-a.example", "en")
        output = run()
        self.assertEqual(mail.outbox, [])
        self.assertFalse(StockAlert.objects.exists())
        self.assertIn("org-a 2026-03-02: nothing needs attention", output)
