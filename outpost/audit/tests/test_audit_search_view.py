"""The audit trail page: a manager searches their organisation's entries."""

import datetime

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from outpost.core.audit import audit
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.orgs.models import User

URL = reverse("audit:search")
# Six for the session, user and membership (middleware); verbs and record
# types; the page of entries with their actors; the staff to choose from.
SEARCH_PAGE_QUERIES = 9


class AuditSearchTestCase(BaseTestCase):
    other_manager: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.other_manager = make_staff(cls.other_org, "other-manager", Role.MANAGER)

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def seqs(self, response: object) -> list[int]:
        rows = response.context["rows"]  # type: ignore[attr-defined]  # a test response
        return [entry.seq for entry, _label in rows]


class AuditSearchTests(AuditSearchTestCase):
    def test_a_manager_sees_their_organisations_entries_newest_first(self) -> None:
        mine = [
            audit(
                actor_id=self.worker.pk, org_id=self.org.pk, verb="client.viewed", target=self.anna
            ),
            audit(actor_id=self.worker.pk, org_id=self.org.pk, verb="thing.done"),
        ]
        theirs = audit(actor_id=self.outsider.pk, org_id=self.other_org.pk, verb="secret.verb")
        self.client.force_login(self.manager)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "audit/auditevent_search.html")
        seqs = self.seqs(response)
        self.assertEqual(seqs, sorted(seqs, reverse=True))
        self.assertLess(seqs.index(mine[1].seq), seqs.index(mine[0].seq))
        self.assertNotIn(theirs.seq, seqs)
        self.assertNotContains(response, "secret.verb")
        self.assertContains(response, "Client viewed")
        self.assertContains(response, f"clients.client #{self.anna.pk}")
        self.assertContains(response, "worker")

    def test_shows_the_request_id_and_the_time_in_utc(self) -> None:
        with time_machine.travel(datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)):
            audit(actor_id=self.worker.pk, org_id=self.org.pk, verb="late.night")
        self.client.force_login(self.manager)
        response = self.client.get(URL, {"verb": "late.night"})
        self.assertContains(response, "2026-03-02 23:30:00")
        self.assertContains(response, '<td class="code">—</td>', html=True)

    def test_staff_without_the_audit_permission_are_refused(self) -> None:
        for user in (self.worker, self.outsider):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
                self.assertEqual(self.client.get(reverse("audit:export")).status_code, 403)

    def test_anonymous_is_sent_to_sign_in(self) -> None:
        response = Client().get(URL)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_an_outsiders_manager_sees_only_their_own_organisation(self) -> None:
        ours = audit(actor_id=self.worker.pk, org_id=self.org.pk, verb="client.viewed")
        theirs = audit(actor_id=self.outsider.pk, org_id=self.other_org.pk, verb="client.viewed")
        self.client.force_login(self.other_manager)
        seqs = self.seqs(self.client.get(URL))
        self.assertIn(theirs.seq, seqs)
        self.assertNotIn(ours.seq, seqs)
        self.assertTrue(
            set(AuditEvent.objects.filter(seq__in=seqs).values_list("org_id", flat=True))
            <= {self.other_org.pk}
        )

    def test_pages_hold_fifty_entries(self) -> None:
        for _ in range(120):
            audit(actor_id=self.worker.pk, org_id=self.org.pk, verb="bulk.verb")
        self.client.force_login(self.manager)
        first = self.client.get(URL, {"verb": "bulk.verb"})
        self.assertEqual(len(self.seqs(first)), 50)
        self.assertEqual(first.context["older_page"], 2)
        self.assertIsNone(first.context["newer_page"])
        third = self.client.get(URL, {"verb": "bulk.verb", "page": "3"})
        self.assertEqual(len(self.seqs(third)), 20)
        self.assertIsNone(third.context["older_page"])
        self.assertContains(third, "?verb=bulk.verb&amp;page=2")
        self.assertEqual(len(self.seqs(self.client.get(URL, {"page": "x"}))), 50)

    def test_uses_a_fixed_number_of_queries_whatever_the_trail_holds(self) -> None:
        self.client.force_login(self.manager)
        self.client.get(URL)  # the first request may warm caches
        with self.assertNumQueries(SEARCH_PAGE_QUERIES):
            self.client.get(URL)
        for number in range(60):
            audit(
                actor_id=(self.worker.pk, self.manager.pk)[number % 2],
                org_id=self.org.pk,
                verb=f"verb.{number % 5}",
                target=self.anna,
            )
        with self.assertNumQueries(SEARCH_PAGE_QUERIES):
            response = self.client.get(URL)
        self.assertEqual(len(self.seqs(response)), 50)


class AuditFilterTests(AuditSearchTestCase):
    def test_filters_by_action_person_record_and_dates(self) -> None:
        with time_machine.travel(datetime.datetime(2030, 3, 1, 12, tzinfo=datetime.UTC)):
            early = audit(
                actor_id=self.worker.pk, org_id=self.org.pk, verb="early.verb", target=self.anna
            )
        with time_machine.travel(datetime.datetime(2030, 3, 5, 12, tzinfo=datetime.UTC)):
            late = audit(
                actor_id=self.manager.pk, org_id=self.org.pk, verb="late.verb", target=self.site
            )
        self.client.force_login(self.manager)
        cases: list[tuple[dict[str, str | int], list[AuditEvent]]] = [
            ({"verb": "early.verb"}, [early]),
            ({"actor": self.manager.pk, "date_from": "2030-03-02"}, [late]),
            ({"actor": self.worker.pk, "date_from": "2030-03-01"}, [early]),
            ({"date_from": "2030-03-01", "date_to": "2030-03-01"}, [early]),
            ({"date_from": "2030-03-05", "date_to": "2030-03-05"}, [late]),
            ({"date_from": "2030-03-01", "date_to": "2030-03-05"}, [late, early]),
            ({"target_type": "orgs.site", "target_id": self.site.pk}, [late]),
            ({"target_type": "clients.client", "date_from": "2030-03-01"}, [early]),
        ]
        for query, expected in cases:
            with self.subTest(query=query):
                response = self.client.get(URL, query)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(self.seqs(response), [entry.seq for entry in expected])

    def test_choices_come_from_the_organisations_own_verbs_and_staff(self) -> None:
        audit(actor_id=self.worker.pk, org_id=self.org.pk, verb="client.viewed", target=self.anna)
        audit(actor_id=self.outsider.pk, org_id=self.other_org.pk, verb="secret.verb")
        self.client.force_login(self.manager)
        form = self.client.get(URL).context["form"]
        verbs = [value for value, _label in form.fields["verb"].choices]
        self.assertIn("client.viewed", verbs)
        self.assertNotIn("secret.verb", verbs)
        staff = set(form.fields["actor"].queryset.values_list("username", flat=True))
        self.assertEqual(staff, {"worker", "manager"})

    def test_an_outsider_cannot_be_chosen_as_the_person(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(URL, {"actor": self.outsider.pk})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.context["rows"], [])

    def test_bad_dates_are_refused_with_a_message(self) -> None:
        self.client.force_login(self.manager)
        cases = [
            ({"date_from": "2026-02-30"}, "Enter a valid date."),
            ({"date_to": "yesterday"}, "Enter a valid date."),
            (
                {"date_from": "2026-03-05", "date_to": "2026-03-01"},
                "The start date must not be after the end date.",
            ),
            ({"target_id": "-3"}, "Ensure this value is greater than or equal to 1."),
            ({"verb": "no.such.verb"}, "Select a valid choice."),
        ]
        for query, message in cases:
            with self.subTest(query=query):
                response = self.client.get(URL, query)
                self.assertEqual(response.status_code, 422)
                self.assertContains(response, message, status_code=422)
                self.assertNotContains(response, 'data-testid="export"', status_code=422)

    def test_the_date_message_is_translated(self) -> None:
        self.manager.language = "uk"
        self.manager.save(update_fields=["language"])
        self.client.force_login(self.manager)
        response = self.client.get(URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
        with translation.override("uk"):
            expected = translation.gettext("The start date must not be after the end date.")
        self.assertNotEqual(expected, "The start date must not be after the end date.")
        self.assertContains(response, expected, status_code=422)

    def test_an_end_date_at_the_calendars_end_is_accepted(self) -> None:
        self.client.force_login(self.manager)
        self.assertEqual(self.client.get(URL, {"date_to": "9999-12-31"}).status_code, 200)
