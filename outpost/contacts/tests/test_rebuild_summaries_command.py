"""``manage.py rebuild_summaries`` recomputes the summaries, or only checks them."""

import io
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError

from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.management.commands import rebuild_summaries as command
from outpost.contacts.models import ContactDay, ServiceDay
from outpost.core.choices import Channel
from outpost.core.tests.base import BaseTestCase, make_client

Snapshot = tuple[list[dict[str, object]], list[dict[str, object]]]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rebuild_summaries", *args, stdout=out)
    return out.getvalue()


def snapshot() -> Snapshot:
    """Every summary row, all columns but the id."""
    days = ContactDay.objects.order_by("pk").values()
    services = ServiceDay.objects.order_by("pk").values()
    return (
        [{k: v for k, v in row.items() if k != "id"} for row in days],
        [{k: v for k, v in row.items() if k != "id"} for row in services],
    )


def unordered(rows: Snapshot) -> tuple[list[str], list[str]]:
    return sorted(map(repr, rows[0])), sorted(map(repr, rows[1]))


class RebuildSummariesCommandTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        boris = make_client(cls.org, cls.worker, mother="Iryna")
        for client, channel in ((cls.anna, Channel.WINDOW), (boris, Channel.ROOM), (None, "")):
            record_contact(
                site=cls.site,
                worker=cls.worker,
                channel=channel or Channel.OUTREACH,
                client=client,
                handout=Handout(kits=[(cls.injecting_kit, 1)], services=[cls.counselling]),
                syringes_returned=3,
            )
        record_contact(
            site=cls.other_site,
            worker=cls.outsider,
            channel=Channel.WINDOW,
            client=None,
            handout=Handout(),
        )

    def assert_fails(self, message: str, *args: str) -> str:
        out = io.StringIO()
        with self.assertRaisesMessage(CommandError, message) as caught:
            call_command("rebuild_summaries", *args, stdout=out)
        self.assertEqual(caught.exception.returncode, 1)
        return out.getvalue()

    def test_rebuilding_prints_the_rows_contacts_and_time_and_keeps_the_rows(self) -> None:
        before = unordered(snapshot())
        output = run()
        self.assertRegex(
            output, r"Rebuilt 4 contact-day and 3 service-day rows from 4 contacts in \d+\.\d\d s"
        )
        self.assertEqual(unordered(snapshot()), before)

    def test_running_twice_gives_the_same_rows(self) -> None:
        run()
        once = unordered(snapshot())
        output = run()
        self.assertEqual(unordered(snapshot()), once)
        self.assertIn("Rebuilt 4 contact-day and 3 service-day rows from 4 contacts", output)

    def test_rebuilding_repairs_rows_that_drifted(self) -> None:
        expected = unordered(snapshot())
        ContactDay.objects.filter(client=self.anna).update(contacts=9, units_syringe=0)
        ServiceDay.objects.filter(client__isnull=True).delete()
        run()
        self.assertEqual(unordered(snapshot()), expected)

    def test_check_passes_on_summaries_that_match_and_changes_nothing(self) -> None:
        before = snapshot()
        output = run("--check")
        self.assertRegex(
            output, r"Checked 4 contact-day and 3 service-day rows against 4 contacts in \d"
        )
        self.assertIn("The summaries match the contacts.", output)
        self.assertEqual(snapshot(), before)

    def test_check_fails_listing_each_difference_and_leaves_the_rows_as_they_were(self) -> None:
        day = ContactDay.objects.get(client=self.anna)
        ContactDay.objects.filter(pk=day.pk).update(contacts=9, units_syringe=1)
        ServiceDay.objects.filter(client__isnull=True).delete()
        ContactDay.objects.create(
            org=self.org, site=self.site, channel=Channel.PHONE, date=day.date, month=day.month
        )
        tampered = snapshot()

        output = self.assert_fails("3 summary rows differ from the contacts", "--check")

        where = f"site_id={self.site.pk}, channel=window, client_id={self.anna.pk}"
        self.assertIn(
            f"ContactDay {where}, date={day.date}: contacts kept 9, rebuilt 1, "
            "units_syringe kept 1, rebuilt 5",
            output,
        )
        self.assertIn("ServiceDay ", output)
        self.assertIn("missing, rebuilt has contacts=1", output)
        self.assertIn("channel=phone, client_id=None", output)
        self.assertIn("no contacts, kept has", output)
        self.assertEqual(snapshot(), tampered)

    def test_check_lists_only_the_first_differences_of_a_long_list(self) -> None:
        ContactDay.objects.filter(org=self.org).update(contacts=7)
        with mock.patch.object(command, "MAX_LISTED", 1):
            output = self.assert_fails("3 summary rows differ", "--check")
        self.assertEqual(output.count("contacts kept 7"), 1)
        self.assertIn("… and 2 more.", output)

    def test_one_organisation_is_rebuilt_and_checked_alone(self) -> None:
        ContactDay.objects.update(contacts=5)
        self.assert_fails("1 summary rows differ", "--check", "--org", "org-b")

        output = run("--org", "org-a")

        self.assertIn("Rebuilt 3 contact-day and 3 service-day rows from 3 contacts", output)
        self.assertEqual(
            set(ContactDay.objects.filter(org=self.org).values_list("contacts", flat=True)), {1}
        )
        self.assertEqual(ContactDay.objects.get(org=self.other_org).contacts, 5)
        self.assertIn("The summaries match", run("--check", "--org", "org-a"))
        self.assert_fails("1 summary rows differ", "--check")

    def test_an_unknown_organisation_is_refused(self) -> None:
        self.assert_fails("No organisation has the slug 'nobody'.", "--org", "nobody")
