"""Opening a case, the case page, consultations, goals, closing and follow-ups."""

import datetime
import uuid

import time_machine
from django.urls import reverse

from outpost.cases.actions import FollowUpIn, close_case
from outpost.cases.models import Case, Consultation, FollowUp, Goal
from outpost.cases.tests.base import NOON, TOMORROW, CasesTestCase
from outpost.contacts.models import Contact
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY

NOTE = "Met at the bus stop on Sadova"


@time_machine.travel(NOON, tick=False)
class OpenCaseViewTests(CasesTestCase):
    def url(self, site_id: int | None = None) -> str:
        return reverse("cases:open", args=[site_id or self.site.pk, self.anna.pk])

    def test_a_case_manager_opens_a_case_in_their_charge(self) -> None:
        self.client.force_login(self.case_manager)
        form = self.client.get(self.url())
        self.assertContains(form, "Documents restored")
        response = self.client.post(
            self.url(),
            {
                "goal_types": [self.documents.pk, self.housing.pk],
                "own_goal": "",
                "manager": self.case_manager.pk,
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        case = Case.objects.get()
        self.assertRedirects(response, reverse("cases:case", args=[case.pk]))
        self.assertEqual(
            (case.client, case.manager, case.goals.count()), (self.anna, self.case_manager, 2)
        )

    def test_a_client_with_an_open_case_goes_to_that_case(self) -> None:
        case = self.open_case_for(self.anna)
        self.client.force_login(self.manager)
        response = self.client.get(self.url())
        self.assertRedirects(response, reverse("cases:case", args=[case.pk]))

    def test_a_case_without_goals_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(
            self.url(),
            {"manager": self.case_manager.pk, "idempotency_key": str(uuid.uuid4())},
        )
        self.assertContains(response, "Choose at least one goal", status_code=422)
        self.assertEqual(Case.objects.count(), 0)

    def test_other_roles_are_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_refused_to(self.url(), self.courier, self.officer, self.worker)
        self.assert_outsider_gets_404(self.url(self.other_site.pk))


@time_machine.travel(NOON, tick=False)
class CasePageTests(CasesTestCase):
    case: Case

    def setUp(self) -> None:
        super().setUp()
        self.case = self.open_case_for(self.anna, own_goal="Visit her sister")
        self.consult(self.case, note=NOTE, follow_ups=[FollowUpIn("Call the notary", TOMORROW)])

    def url(self) -> str:
        return reverse("cases:case", args=[self.case.pk])

    def test_a_case_manager_reads_goals_notes_and_follow_ups_and_the_reveal_is_audited(
        self,
    ) -> None:
        for user in (self.case_manager, self.manager):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.get(self.url())
                for text in ("Documents restored", "Visit her sister", NOTE, "Call the notary"):
                    self.assertContains(response, text)
                self.assertTrue(
                    AuditEvent.objects.filter(
                        verb="case_notes.revealed", actor_id=user.pk, target_id=self.case.pk
                    ).exists()
                )

    def test_a_courier_an_officer_and_a_social_worker_cannot_see_the_case_or_its_notes(
        self,
    ) -> None:
        for user in (self.courier, self.officer, self.worker):
            self.client.force_login(user)
            with self.subTest(user=user.username):
                response = self.client.get(self.url())
                self.assertEqual(response.status_code, 403)
                self.assertNotContains(response, NOTE, status_code=403)
        self.assertFalse(AuditEvent.objects.filter(verb="case_notes.revealed").exists())

    def test_an_outsider_gets_404(self) -> None:
        self.assert_outsider_gets_404(self.url())

    def test_marking_a_goal_achieved_and_adding_one(self) -> None:
        goal = Goal.objects.get(case=self.case, goal_type=self.documents)
        own = Goal.objects.get(case=self.case, goal_type=None)
        self.client.force_login(self.case_manager)
        response = self.client.post(
            reverse("cases:goals", args=[self.case.pk]),
            {
                f"status_{goal.pk}": "achieved",
                f"status_{own.pk}": "working",
                "goal_types": [self.housing.pk],
            },
        )
        self.assertRedirects(response, self.url())
        goal.refresh_from_db()
        self.assertEqual(goal.status, "achieved")
        self.assertTrue(Goal.objects.filter(case=self.case, goal_type=self.housing).exists())

    def test_a_goal_status_left_out_answers_422(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(reverse("cases:goals", args=[self.case.pk]), {})
        self.assertEqual(response.status_code, 422)


@time_machine.travel(NOON, tick=False)
class ConsultViewTests(CasesTestCase):
    case: Case

    def setUp(self) -> None:
        super().setUp()
        self.case = self.open_case_for(self.anna)

    def url(self) -> str:
        return reverse("cases:consult", args=[self.case.pk])

    def data(self, **changes: str) -> dict[str, object]:
        return {
            "channel": "phone",
            "topic": self.documents_topic.pk,
            "minutes": "20",
            "note": "Talked it through",
            "follow_up_1": "Call back after the appointment",
            "due_1": TOMORROW.isoformat(),
            "idempotency_key": str(uuid.uuid4()),
            **changes,
        }

    def test_records_a_phone_consultation_with_a_follow_up(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(self.url(), self.data())
        self.assertRedirects(response, reverse("cases:case", args=[self.case.pk]))
        consultation = Consultation.objects.get()
        self.assertEqual((consultation.contact.channel, consultation.minutes), ("phone", 20))
        self.assertEqual(FollowUp.objects.get().due_on, TOMORROW)

    def test_a_follow_up_due_in_the_past_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        yesterday = (TODAY - datetime.timedelta(1)).isoformat()
        response = self.client.post(self.url(), self.data(due_1=yesterday))
        self.assertContains(response, "cannot be due in the past", status_code=422)
        self.assert_nothing_saved()

    def test_a_note_over_the_limit_answers_422_and_saves_nothing(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(self.url(), self.data(note="x" * 1001))
        self.assertContains(response, "at most 1000 characters", status_code=422)
        self.assert_nothing_saved()

    def test_a_follow_up_without_a_date_answers_422(self) -> None:
        self.client.force_login(self.case_manager)
        response = self.client.post(self.url(), self.data(due_1=""))
        self.assertContains(response, "Give the follow-up a due date", status_code=422)
        self.assert_nothing_saved()

    def test_a_consultation_for_a_closed_case_answers_422_with_the_reason(self) -> None:
        close_case(case=self.case, worker=self.case_manager, outcome="lost")
        self.client.force_login(self.case_manager)
        self.assertContains(self.client.get(self.url()), "This case was closed on 2026-03-02")
        response = self.client.post(self.url(), self.data())
        self.assertContains(response, "This case was closed on 2026-03-02", status_code=422)
        self.assert_nothing_saved()

    def test_other_roles_are_refused_and_an_outsider_gets_404(self) -> None:
        self.assert_refused_to(self.url(), self.courier, self.officer, self.worker)
        self.assert_outsider_gets_404(self.url())

    def assert_nothing_saved(self) -> None:
        self.assertEqual(
            (Consultation.objects.count(), FollowUp.objects.count(), Contact.objects.count()),
            (0, 0, 0),
        )


@time_machine.travel(NOON, tick=False)
class CloseAndFollowUpViewTests(CasesTestCase):
    case: Case

    def setUp(self) -> None:
        super().setUp()
        self.case = self.open_case_for(self.anna)

    def test_closing_the_case_with_an_outcome(self) -> None:
        url = reverse("cases:close", args=[self.case.pk])
        self.client.force_login(self.case_manager)
        self.assertContains(self.client.post(url, {}), "This field is required", status_code=422)
        response = self.client.post(url, {"outcome": "partly"})
        self.assertRedirects(response, reverse("cases:case", args=[self.case.pk]))
        self.case.refresh_from_db()
        self.assertEqual((self.case.closed_on, self.case.outcome), (TODAY, "partly"))

    def test_marking_a_follow_up_done_goes_back_to_the_caseload(self) -> None:
        self.consult(self.case, follow_ups=[FollowUpIn("Call", TODAY)])
        follow_up = FollowUp.objects.get()
        url = reverse("cases:follow_up_done", args=[follow_up.pk])
        self.client.force_login(self.case_manager)
        response = self.client.post(url, {"next": reverse("cases:caseload")})
        self.assertRedirects(response, reverse("cases:caseload"))
        follow_up.refresh_from_db()
        self.assertEqual(follow_up.done_on, TODAY)
        again = self.client.post(url, {"next": "https://evil.example/"}, follow=True)
        self.assertContains(again, "already done")

    def test_other_roles_are_refused_and_an_outsider_gets_404(self) -> None:
        self.consult(self.case, follow_ups=[FollowUpIn("Call", TODAY)])
        for url in (
            reverse("cases:close", args=[self.case.pk]),
            reverse("cases:follow_up_done", args=[FollowUp.objects.get().pk]),
        ):
            with self.subTest(url=url):
                self.assert_refused_to(url, self.courier, self.officer, self.worker)
                self.assert_outsider_gets_404(url)
