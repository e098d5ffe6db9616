"""What each mode lets quick entry record (SPEC §6)."""

import datetime

import time_machine
from django.utils import timezone

from outpost.catalogue.models import Item
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.forms import ContactForm
from outpost.contacts.models import Contact
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.tests.base import BaseTestCase
from outpost.modes.actions import change_mode, confirm_ppe
from outpost.modes.models import Mode
from outpost.modes.policy import policy_at


class ModePolicyTestCase(BaseTestCase):
    def set_mode(self, mode: str, **fields: object) -> None:
        change_mode(site=self.site, manager=self.manager, mode=mode, reason="Test", **fields)  # type: ignore[arg-type]  # test helper

    def record(self, channel: str, **fields: object) -> Contact:
        fields.setdefault("handout", Handout())
        return record_contact(
            site=self.site,
            worker=self.worker,
            channel=channel,
            client=self.anna,
            **fields,  # type: ignore[arg-type]  # test helper
        )


class PolicyTests(ModePolicyTestCase):
    def test_a_site_with_no_history_is_in_normal_mode_with_every_channel(self) -> None:
        policy = policy_at(self.site)
        self.assertEqual(policy.mode, Mode.NORMAL)
        self.assertEqual(policy.channels, set(Channel.values))
        self.assertIsNone(policy.capacity)
        self.assertIs(policy.disinfection_required, False)
        self.assertIs(policy.ppe_required, False)

    def test_each_mode_offers_its_channels(self) -> None:
        expected = {
            Mode.RESTRICTED: {"window"},
            Mode.REMOTE: {"phone", "messenger", "courier", "online"},
            Mode.CLOSED: set(),
        }
        for mode, channels in expected.items():
            self.set_mode(mode)
            with self.subTest(mode=mode):
                self.assertEqual(policy_at(self.site).channels, channels)

    def test_restricted_mode_asks_for_disinfection_and_protective_equipment(self) -> None:
        self.set_mode(Mode.RESTRICTED)
        policy = policy_at(self.site)
        self.assertIs(policy.disinfection_required, True)
        self.assertIs(policy.ppe_required, True)

    def test_the_mode_at_an_earlier_moment_is_the_one_then_in_force(self) -> None:
        before = timezone.now()
        self.set_mode(Mode.CLOSED)
        self.assertEqual(policy_at(self.site, before).mode, Mode.NORMAL)


class RecordContactInModeTests(ModePolicyTestCase):
    def test_restricted_mode_records_at_the_window_after_protective_equipment(self) -> None:
        self.set_mode(Mode.RESTRICTED)
        with self.assertRaisesMessage(DomainError, "Confirm your mask and gloves"):
            self.record(Channel.WINDOW)
        confirm_ppe(site=self.site, worker=self.worker)
        self.record(Channel.WINDOW)
        self.assertEqual(Contact.objects.count(), 1)

    def test_restricted_mode_refuses_a_phone_contact(self) -> None:
        self.set_mode(Mode.RESTRICTED)
        confirm_ppe(site=self.site, worker=self.worker)
        with self.assertRaisesMessage(DomainError, "does not allow contacts by Phone"):
            self.record(Channel.PHONE)
        self.assertFalse(Contact.objects.exists())

    def test_inside_only_the_services_the_manager_allows(self) -> None:
        testing = self.org.service_types.get(code="testing")
        self.set_mode(Mode.RESTRICTED, services_inside=[testing])
        confirm_ppe(site=self.site, worker=self.worker)
        self.record(Channel.ROOM, handout=Handout(services=[testing]))
        with self.assertRaisesMessage(DomainError, "through the window"):
            self.record(Channel.ROOM, handout=Handout(services=[self.counselling]))
        self.record(Channel.WINDOW, handout=Handout(services=[self.counselling]))
        self.assertEqual(Contact.objects.count(), 2)

    def test_remote_mode_records_by_phone_but_not_at_the_window(self) -> None:
        self.set_mode(Mode.REMOTE)
        self.record(Channel.PHONE)
        with self.assertRaisesMessage(DomainError, "does not allow contacts by Window"):
            self.record(Channel.WINDOW)

    def test_a_closed_site_records_nothing_and_nothing_leaves_stock(self) -> None:
        self.set_mode(Mode.CLOSED)
        condom = Item.objects.get(org=self.org, name="Condom")
        with self.assertRaisesMessage(DomainError, "Sumy room is closed"):
            self.record(Channel.WINDOW, handout=Handout(items=[(condom, 5)]))
        self.assertFalse(Contact.objects.exists())

    def test_a_paper_record_typed_later_follows_the_mode_of_its_time(self) -> None:
        yesterday = timezone.now() - datetime.timedelta(days=1)
        with time_machine.travel(yesterday - datetime.timedelta(hours=1)):
            self.set_mode(Mode.RESTRICTED)
        self.set_mode(Mode.CLOSED)
        # Restricted then, and no shift to confirm protective equipment for.
        self.record(Channel.WINDOW, occurred_at=yesterday)
        with self.assertRaisesMessage(DomainError, "does not allow contacts by Phone"):
            self.record(Channel.PHONE, occurred_at=yesterday)


class ContactFormInModeTests(ModePolicyTestCase):
    def form(self, data: dict[str, object] | None = None) -> ContactForm:
        return ContactForm(data, site=self.site, items=[])

    def channels(self) -> list[str]:
        return [value for value, _ in self.form().fields["channel"].choices]  # type: ignore[attr-defined]  # ChoiceField

    def test_normal_mode_offers_every_channel(self) -> None:
        self.assertEqual(self.channels(), Channel.values)

    def test_restricted_mode_offers_only_the_window(self) -> None:
        self.set_mode(Mode.RESTRICTED)
        self.assertEqual(self.channels(), ["window"])

    def test_restricted_mode_with_services_inside_offers_the_room_too(self) -> None:
        self.set_mode(Mode.RESTRICTED, services_inside=[self.counselling])
        self.assertEqual(self.channels(), ["room", "window"])

    def test_remote_mode_preselects_an_allowed_channel(self) -> None:
        self.set_mode(Mode.REMOTE)
        form = self.form()
        self.assertEqual(self.channels(), ["courier", "phone", "messenger", "online"])
        self.assertEqual(form.initial["channel"], "courier")

    def test_a_closed_site_says_so(self) -> None:
        self.set_mode(Mode.CLOSED)
        form = self.form({"channel": "window", "syringes_returned": 0})
        self.assertFalse(form.is_valid())
        self.assertIn("Sumy room is closed", str(form.errors["channel"]))
