"""Migration 0004 fills the day summaries from the contacts already recorded."""

import datetime

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

from outpost.catalogue.models import Item, ServiceType
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import ContactDay, ServiceDay
from outpost.contacts.summaries import rebuild_summaries
from outpost.core.choices import Channel
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_org, make_site, make_staff, stock

BEFORE = [("contacts", "0003_contact_summaries")]
AFTER = [("contacts", "0004_build_contact_summaries")]


def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    days = ContactDay.objects.order_by("site", "channel", "client", "date")
    services = ServiceDay.objects.order_by("site", "channel", "client", "date", "service_type")
    return (
        [tuple(row.values())[1:] for row in days.values()],
        [tuple(row.values())[1:] for row in services.values()],
    )


class BuildSummariesMigrationTests(TransactionTestCase):
    def test_the_migration_builds_what_a_rebuild_builds(self) -> None:
        """Contacts recorded before 0003 are summed; those since 0003 not twice."""
        org = make_org("org-a")
        site = make_site(org)
        worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
        anna = make_client(org, worker)
        syringe = Item.objects.get(org=org, name="Syringe 2 ml")
        stock(site, syringe, 100, worker)
        counselling = ServiceType.objects.get(org=org, code="counselling")
        moment = timezone.now() - datetime.timedelta(days=3)
        for client in (anna, anna, None):
            record_contact(
                site=site,
                worker=worker,
                channel=Channel.WINDOW,
                client=client,
                handout=Handout(items=[(syringe, 4)], services=[counselling]),
                syringes_returned=2,
                occurred_at=moment,
            )
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        self.assertEqual(ContactDay.objects.count(), 0)
        # Recorded at 0003: the write sums it at once.
        record_contact(
            site=site,
            worker=worker,
            channel=Channel.PHONE,
            client=anna,
            handout=Handout(services=[counselling]),
            occurred_at=moment,
        )
        self.assertEqual(ContactDay.objects.count(), 1)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)

        migrated = snapshot()
        rebuild_summaries()
        self.assertEqual(migrated, snapshot())
        window = ContactDay.objects.get(client=anna, channel=Channel.WINDOW)
        self.assertEqual((window.contacts, window.units_syringe), (2, 8))
        self.assertEqual(ContactDay.objects.get(client=anna, channel=Channel.PHONE).contacts, 1)
