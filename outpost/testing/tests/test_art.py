"""Clients on ART, their supply rhythm, and deliveries as courier contacts."""

import datetime
import zoneinfo

import time_machine

from outpost.contacts.models import Contact
from outpost.core.errors import DomainError
from outpost.core.tests.base import TODAY, BaseTestCase, make_client
from outpost.testing.actions import record_art_delivery, start_art
from outpost.testing.models import ArtCourse, ArtDelivery

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))


@time_machine.travel(NOON, tick=False)
class ArtTests(BaseTestCase):
    def start(self, **fields: object) -> ArtCourse:
        values: dict[str, object] = {
            "site": self.site,
            "worker": self.manager,
            "client": self.anna,
            "started_on": TODAY,
            "regimen": "TDF/3TC/DTG",
            "days_per_supply": 30,
            "next_due_on": TODAY + datetime.timedelta(3),
        }
        values.update(fields)
        return start_art(**values)  # type: ignore[arg-type]  # test data

    def test_keeps_the_regimen_the_days_per_supply_and_the_next_due_date(self) -> None:
        course = self.start(regimen="  TDF/3TC/DTG ")
        self.assertEqual((course.regimen, course.days_per_supply), ("TDF/3TC/DTG", 30))
        self.assertEqual(course.next_due_on, TODAY + datetime.timedelta(3))

    def test_accepts_regimens_written_as_drug_abbreviations(self) -> None:
        for number, (regimen, kept) in enumerate(
            [("AZT/3TC/LPV/r", "AZT/3TC/LPV/r"), ("TDF + 3TC + DTG", "TDF+3TC+DTG")]
        ):
            with self.subTest(regimen=regimen):
                client = make_client(
                    self.org, self.worker, mother="Oksana", birth_year=1970 + number
                )
                self.assertEqual(self.start(client=client, regimen=regimen).regimen, kept)

    def test_refuses_a_regimen_that_could_carry_a_name_or_a_phone_number(self) -> None:
        for regimen in ["call her at home", "+7 (999) 000-00-99", "Olena Petrenko", "TDF//DTG"]:
            with self.subTest(regimen=regimen):
                with self.assertRaisesMessage(DomainError, "drug abbreviations"):
                    self.start(regimen=regimen)
        self.assertEqual(ArtCourse.objects.count(), 0)

    def test_refuses_a_next_supply_due_before_art_started(self) -> None:
        with self.assertRaisesMessage(DomainError, "cannot be due before ART started"):
            self.start(next_due_on=TODAY - datetime.timedelta(1))
        self.assertEqual(ArtCourse.objects.count(), 0)

    def test_refuses_a_start_date_after_today(self) -> None:
        with self.assertRaisesMessage(DomainError, "That date is later than today."):
            self.start(started_on=TODAY + datetime.timedelta(1))
        self.assertEqual(ArtCourse.objects.count(), 0)

    def test_refuses_a_second_active_course_for_the_same_client(self) -> None:
        self.start()
        with self.assertRaisesMessage(DomainError, "already on the list of clients on ART"):
            self.start()

    def test_a_delivery_is_a_courier_contact_and_moves_the_next_due_date(self) -> None:
        course = self.start()
        delivery = record_art_delivery(
            site=self.site, worker=self.manager, course=course, days_supplied=60
        )
        contact = Contact.objects.get(pk=delivery.contact_id)
        self.assertEqual(
            (contact.channel, contact.client_id, contact.date), ("courier", self.anna.pk, TODAY)
        )
        course.refresh_from_db()
        self.assertEqual(course.next_due_on, TODAY + datetime.timedelta(60))

    def test_refuses_a_delivery_of_more_than_180_days_and_records_no_contact(self) -> None:
        course = self.start()
        with self.assertRaisesMessage(DomainError, "Days supplied must be between 1 and 180."):
            record_art_delivery(
                site=self.site, worker=self.manager, course=course, days_supplied=181
            )
        self.assertEqual((Contact.objects.count(), ArtDelivery.objects.count()), (0, 0))

    def test_refuses_a_delivery_at_a_site_of_another_organisation(self) -> None:
        course = self.start()
        with self.assertRaisesMessage(DomainError, "not on the list of clients on ART"):
            record_art_delivery(
                site=self.other_site, worker=self.outsider, course=course, days_supplied=30
            )
        self.assertEqual((Contact.objects.count(), ArtDelivery.objects.count()), (0, 0))
        course.refresh_from_db()
        self.assertEqual(course.next_due_on, TODAY + datetime.timedelta(3))
