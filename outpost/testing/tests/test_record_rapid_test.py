"""Recording a rapid test done on site (SPEC §4): kit from stock, result, visit."""

import datetime
import uuid
import zoneinfo

import time_machine

from outpost.catalogue.models import Item
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY, BaseTestCase, make_client, make_site
from outpost.inventory.actions import receive_stock, store_of
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import StockBalance, StockMovement
from outpost.testing.actions import record_rapid_test
from outpost.testing.models import Disease, Result, Test

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))


@time_machine.travel(NOON, tick=False)
class RecordRapidTestTests(BaseTestCase):
    hiv_kit: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.hiv_kit = Item.objects.get(org=cls.org, name="HIV rapid test")

    def record(self, **fields: object) -> Test:
        values: dict[str, object] = {
            "site": self.site,
            "worker": self.worker,
            "client": self.anna,
            "kit": self.hiv_kit,
            "result": Result.REACTIVE,
            "result_given": True,
            "pre_counselling": True,
            "post_counselling": True,
        }
        values.update(fields)
        return record_rapid_test(**values)  # type: ignore[arg-type]  # test data

    def snapshot(self) -> tuple[int, int, int, int]:
        return (
            Test.objects.count(),
            Contact.objects.count(),
            StockMovement.objects.count(),
            AuditEvent.objects.count(),
        )

    def test_takes_one_kit_from_the_store_and_records_its_lot(self) -> None:
        receive_stock(
            location=store_of(self.site),
            item=self.hiv_kit,
            quantity=5,
            worker=self.manager,
            lot="HIV-2025-17",
            expires_on=datetime.date(2026, 6, 1),
            occurred_on=TODAY,
        )
        test = self.record()
        self.assertEqual(
            (test.disease, test.result, test.lot), (Disease.HIV, "reactive", "HIV-2025-17")
        )
        movement = StockMovement.objects.get(contact=test.contact, item=self.hiv_kit)
        self.assertEqual((movement.quantity, movement.lot), (-1, "HIV-2025-17"))

    def test_records_a_visit_with_testing_and_counselling_when_there_was_none_today(self) -> None:
        test = self.record()
        contact = test.contact
        self.assertEqual(
            (contact.client_id, contact.date, contact.channel), (self.anna.pk, TODAY, "window")
        )
        self.assertEqual(
            sorted(contact.services.values_list("service_type__code", flat=True)),
            ["counselling", "testing"],
        )

    def test_joins_the_client_s_visit_of_today_rather_than_adding_a_contact(self) -> None:
        visit = record_contact(
            site=self.site, worker=self.worker, channel="room", client=self.anna, handout=Handout()
        )
        test = self.record()
        self.assertEqual(test.contact, visit)
        self.assertEqual(Contact.objects.count(), 1)

    def test_adds_testing_and_counselling_to_the_visit_it_joins_once(self) -> None:
        """The counselling given with a test counts towards the defined package."""
        visit = record_contact(
            site=self.site,
            worker=self.worker,
            channel="room",
            client=self.anna,
            handout=Handout(services=[self.counselling]),
        )
        self.record()
        self.record(pre_counselling=False, post_counselling=False)
        self.assertEqual(
            sorted(visit.services.values_list("service_type__code", flat=True)),
            ["counselling", "testing"],
        )

    def test_without_counselling_the_visit_records_testing_only(self) -> None:
        test = self.record(pre_counselling=False, post_counselling=False)
        self.assertEqual(
            list(test.contact.services.values_list("service_type__code", flat=True)), ["testing"]
        )

    def test_a_retried_form_records_the_test_once(self) -> None:
        key = uuid.uuid4()
        first = self.record(idempotency_key=key)
        before = self.snapshot()
        self.assertEqual(self.record(idempotency_key=key), first)
        self.assertEqual(self.snapshot(), before)

    def test_writes_one_audit_entry_for_the_test(self) -> None:
        test = self.record()
        self.assertTrue(
            AuditEvent.objects.filter(
                verb="test.recorded", target_id=test.pk, actor_id=self.worker.pk
            ).exists()
        )

    def test_refuses_an_expired_kit_and_saves_nothing(self) -> None:
        site = make_site(self.org, "Expired room")
        receive_stock(
            location=store_of(site),
            item=self.hiv_kit,
            quantity=3,
            worker=self.manager,
            lot="OLD-1",
            expires_on=datetime.date(2026, 2, 1),
            # Received while still good: expired stock cannot be received.
            occurred_on=datetime.date(2026, 1, 15),
        )
        before = self.snapshot()
        with self.assertRaisesMessage(
            OutOfStock,
            "Not enough usable HIV rapid test: 0 on hand, 1 asked for; "
            "3 more have expired and cannot be handed out.",
        ):
            self.record(site=site)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(StockBalance.objects.get(location=store_of(site)).quantity, 3)

    def test_refuses_a_kit_out_of_stock_and_saves_nothing(self) -> None:
        site = make_site(self.org, "Empty room")
        before = self.snapshot()
        with self.assertRaisesMessage(OutOfStock, "Not enough HIV rapid test in stock: 0 on hand"):
            self.record(site=site)
        self.assertEqual(self.snapshot(), before)

    def test_refuses_an_item_that_is_not_a_rapid_test_kit(self) -> None:
        before = self.snapshot()
        with self.assertRaisesMessage(DomainError, "Choose a rapid test kit"):
            self.record(kit=self.syringe)
        self.assertEqual(self.snapshot(), before)

    def test_refuses_a_client_of_another_organisation(self) -> None:
        stranger = make_client(self.other_org, self.outsider, mother="Maria")
        with self.assertRaisesMessage(DomainError, "That client is not known here."):
            self.record(client=stranger)

    def test_refuses_a_result_that_is_not_one_of_the_three(self) -> None:
        with self.assertRaisesMessage(DomainError, "Choose the result the test showed."):
            self.record(result="positive")
        self.assertEqual(Test.objects.count(), 0)
