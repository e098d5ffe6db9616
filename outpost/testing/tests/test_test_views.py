"""The pages that record a rapid test and a reported self-test result."""

import uuid

import time_machine
from django.urls import reverse

from outpost.catalogue.models import Item
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact
from outpost.core.tests.base import make_site
from outpost.testing.models import Test
from outpost.testing.tests.base import NOON, TestingViewTestCase


@time_machine.travel(NOON, tick=False)
class RecordTestViewTests(TestingViewTestCase):
    hiv_kit: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.hiv_kit = Item.objects.get(org=cls.org, name="HIV rapid test")

    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:record_test", args=[site_id or self.site.pk, self.anna.pk])

    def data(self, **fields: object) -> dict[str, object]:
        values: dict[str, object] = {
            "kit": self.hiv_kit.pk,
            "pre_counselling": "on",
            "result": "reactive",
            "result_given": "on",
            "idempotency_key": str(uuid.uuid4()),
        }
        values.update(fields)
        return values

    def test_a_worker_records_a_reactive_test_and_returns_to_the_client_s_results(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url(), self.data())
        self.assertRedirects(
            response, reverse("testing:client", args=[self.site.pk, self.anna.pk])
        )
        test = Test.objects.get()
        self.assertEqual(
            (test.result, test.result_given, test.post_counselling), ("reactive", True, False)
        )

    def test_the_form_offers_only_rapid_test_kits(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(self.url())
        self.assertContains(response, "HIV rapid test")
        self.assertNotContains(response, "Syringe 2 ml")

    def test_a_missing_result_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(self.url(), self.data(result=""))
        self.assertEqual(response.status_code, 422)
        self.assertEqual((Test.objects.count(), Contact.objects.count()), (0, 0))

    def test_a_kit_out_of_stock_answers_422_with_the_message(self) -> None:
        empty = make_site(self.org, "Empty room")
        self.client.force_login(self.worker)
        response = self.client.post(self.url(empty.pk), self.data())
        self.assertContains(response, "Not enough HIV rapid test in stock", status_code=422)
        self.assertEqual((Test.objects.count(), Contact.objects.count()), (0, 0))

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url(self.other_site.pk))


@time_machine.travel(NOON, tick=False)
class SelfTestResultViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:self_test_result", args=[site_id or self.site.pk, self.anna.pk])

    def test_a_result_is_recorded_against_the_hand_out(self) -> None:
        kit = Item.objects.get(org=self.org, category__code="hiv_self_test")
        contact = record_contact(
            site=self.site,
            worker=self.worker,
            channel="window",
            client=self.anna,
            handout=Handout(items=[(kit, 1)]),
        )
        handout = contact.items.get()
        self.client.force_login(self.worker)
        self.assertContains(self.client.get(self.url()), "HIV saliva self-test")
        response = self.client.post(
            self.url(),
            {
                "handout": handout.pk,
                "result": "non_reactive",
                "reported_on": "2026-03-02",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Test.objects.get().handout, handout)

    def test_a_result_for_a_self_test_never_handed_out_answers_422(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.post(
            self.url(),
            {
                "result": "reactive",
                "reported_on": "2026-03-02",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(Test.objects.count(), 0)

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url(self.other_site.pk))
