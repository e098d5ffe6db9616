"""Putting a client on ART, the deliveries due, and recording a delivery."""

import datetime
import uuid

import time_machine
from django.urls import reverse

from outpost.contacts.models import Contact
from outpost.core.tests.base import TODAY, make_client
from outpost.testing.models import ArtCourse, ArtDelivery
from outpost.testing.tests.base import NOON, TestingViewTestCase
from outpost.testing.tests.factories import make_art_course

# Session, user, authenticator, session activity, membership (twice), site,
# the list, then the audit entry (chain head, insert, head update).
ART_DUE_QUERIES = 11


@time_machine.travel(NOON, tick=False)
class ArtStartViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:art_start", args=[site_id or self.site.pk, self.anna.pk])

    def test_offers_regimens_as_a_list_and_keeps_the_one_typed(self) -> None:
        self.client.force_login(self.case_manager)
        self.assertContains(self.client.get(self.url()), '<option value="TDF/3TC/DTG">')
        response = self.client.post(
            self.url(),
            {
                "regimen": "TDF/3TC/DTG",
                "started_on": "2026-03-01",
                "days_per_supply": 30,
                "next_due_on": "2026-03-31",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(ArtCourse.objects.get().regimen, "TDF/3TC/DTG")

    def test_a_social_worker_may_not_manage_art(self) -> None:
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(
            self.url(), self.url(self.other_site.pk), self.foreign_case_manager
        )


@time_machine.travel(NOON, tick=False)
class ArtDueViewTests(TestingViewTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:art_due", args=[site_id or self.site.pk])

    def test_lists_supplies_due_in_the_next_7_days_and_overdue_ones_first(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        vira = make_client(self.org, self.worker, mother="Vira", birth_year=1991)
        week = make_art_course(
            self.site, self.anna, self.worker, TODAY, next_due_on=TODAY + datetime.timedelta(7)
        )
        overdue = make_art_course(
            self.site, boris, self.worker, TODAY, next_due_on=TODAY - datetime.timedelta(2)
        )
        make_art_course(
            self.site, vira, self.worker, TODAY, next_due_on=TODAY + datetime.timedelta(8)
        )
        self.client.force_login(self.case_manager)
        response = self.client.get(self.url())
        self.assertEqual(response.context["courses"], [overdue, week])

    def test_the_page_takes_the_same_queries_for_one_or_many_clients(self) -> None:
        make_art_course(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.case_manager)
        with self.assertNumQueries(ART_DUE_QUERIES):
            self.client.get(self.url())
        for number in range(5):
            client = make_client(self.org, self.worker, mother="Oksana", birth_year=1970 + number)
            make_art_course(self.site, client, self.worker, TODAY, next_due_on=TODAY)
        with self.assertNumQueries(ART_DUE_QUERIES):
            self.client.get(self.url())

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(self.url(), self.url(), self.foreign_case_manager)


@time_machine.travel(NOON, tick=False)
class ArtDeliverViewTests(TestingViewTestCase):
    course: ArtCourse

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.course = make_art_course(cls.site, cls.anna, cls.worker, TODAY, next_due_on=TODAY)

    def url(self, site_id: int | None = None) -> str:
        return reverse("testing:art_deliver", args=[site_id or self.site.pk, self.course.pk])

    def test_records_the_delivery_as_a_courier_contact(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(
            self.url(), {"days_supplied": 30, "idempotency_key": str(uuid.uuid4())}
        )
        self.assertRedirects(response, reverse("testing:art_due", args=[self.site.pk]))
        delivery = ArtDelivery.objects.get()
        self.assertEqual(Contact.objects.get(pk=delivery.contact_id).channel, "courier")

    def test_more_than_180_days_answers_422_and_records_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(
            self.url(), {"days_supplied": 365, "idempotency_key": str(uuid.uuid4())}
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual((Contact.objects.count(), ArtDelivery.objects.count()), (0, 0))

    def test_a_courier_is_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_courier_and_outsider_refused(
            self.url(), self.url(self.other_site.pk), self.foreign_case_manager
        )
