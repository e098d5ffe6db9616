"""A self-test handed out as an item; its result recorded when the client reports it."""

import datetime
import zoneinfo

import time_machine

from outpost.catalogue.models import Item
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import ContactItem
from outpost.core.errors import DomainError
from outpost.core.tests.base import TODAY, BaseTestCase, make_client
from outpost.testing.actions import record_self_test_result
from outpost.testing.models import Result, Test

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))


@time_machine.travel(NOON, tick=False)
class SelfTestResultTests(BaseTestCase):
    self_test: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.self_test = Item.objects.get(org=cls.org, category__code="hiv_self_test")

    def hand_out(self, client: object = None, quantity: int = 1) -> ContactItem:
        contact = record_contact(
            site=self.site,
            worker=self.worker,
            channel="window",
            client=client or self.anna,  # type: ignore[arg-type]  # a Client
            handout=Handout(items=[(self.self_test, quantity)]),
        )
        return contact.items.get()

    def report(self, handout: ContactItem, **fields: object) -> Test:
        values: dict[str, object] = {
            "site": self.site,
            "worker": self.worker,
            "client": self.anna,
            "handout": handout,
            "result": Result.NON_REACTIVE,
            "reported_on": TODAY,
        }
        values.update(fields)
        return record_self_test_result(**values)  # type: ignore[arg-type]  # test data

    def test_records_the_reported_result_against_the_hand_out(self) -> None:
        handout = self.hand_out()
        test = self.report(handout, result=Result.REACTIVE)
        self.assertEqual(
            (test.method, test.handout, test.contact), ("self_test", handout, handout.contact)
        )
        self.assertEqual(
            (test.result, test.result_given, test.tested_on), ("reactive", True, TODAY)
        )

    def test_refuses_a_result_for_a_self_test_never_handed_out_to_this_client(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        handout = self.hand_out(client=boris)
        with self.assertRaisesMessage(DomainError, "No self-test was handed out to this client"):
            self.report(handout)
        self.assertEqual(Test.objects.count(), 0)

    def test_refuses_more_results_than_self_tests_handed_out(self) -> None:
        handout = self.hand_out(quantity=1)
        self.report(handout)
        with self.assertRaisesMessage(DomainError, "already has a result"):
            self.report(handout)
        self.assertEqual(Test.objects.count(), 1)

    def test_two_self_tests_in_one_hand_out_take_two_results(self) -> None:
        handout = self.hand_out(quantity=2)
        self.report(handout)
        self.report(handout, result=Result.REACTIVE)
        self.assertEqual(Test.objects.filter(handout=handout).count(), 2)

    def test_refuses_a_report_dated_before_the_hand_out(self) -> None:
        handout = self.hand_out()
        with self.assertRaisesMessage(
            DomainError, "before 2026-03-02, when the test was handed out"
        ):
            self.report(handout, reported_on=TODAY - datetime.timedelta(1))
        self.assertEqual(Test.objects.count(), 0)
