"""Retention: health records of clients long out of contact are purged daily."""

import datetime

from django.test import override_settings

from outpost.clients.models import Client
from outpost.core.retention import jobs
from outpost.core.tests.base import TODAY, BaseTestCase, make_client
from outpost.testing.models import ArtCourse, Milestone, Referral, Result, Test
from outpost.testing.tests.factories import make_art_course, make_outcome, make_referral, make_test


@override_settings(HEALTH_RECORDS_RETENTION_DAYS=365)
class PurgeHealthRecordsTests(BaseTestCase):
    def records_of(self, client: Client, date: datetime.date) -> None:
        test = make_test(self.site, client, self.worker, date, result=Result.REACTIVE)
        referral = make_referral(self.site, client, self.worker, date)
        referral.test = test
        referral.save(update_fields=["test"])
        make_outcome(self.site, client, self.worker, Milestone.Kind.HIV_CONFIRMED, date)
        make_art_course(self.site, client, self.worker, date)
        Client.objects.filter(pk=client.pk).update(last_contact_date=date)

    def test_removes_the_records_of_a_client_not_seen_for_longer_than_the_limit(self) -> None:
        gone = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        self.records_of(gone, TODAY - datetime.timedelta(366))
        self.records_of(self.anna, TODAY - datetime.timedelta(365))

        removed = jobs()["health_records"](TODAY)

        self.assertEqual(removed, 4)
        for model in (Test, Referral, Milestone, ArtCourse):
            with self.subTest(model=model.__name__):
                self.assertEqual(
                    set(model.objects.values_list("client_id", flat=True)), {self.anna.pk}
                )
