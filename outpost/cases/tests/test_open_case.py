"""Opening a case: goals from the list and in one's own words, one open case per client."""

import uuid

import time_machine

from outpost.cases.actions import close_case, open_case
from outpost.cases.models import Case, Goal, GoalType
from outpost.cases.notes import unseal
from outpost.cases.tests.base import NOON, CasesTestCase
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY


@time_machine.travel(NOON, tick=False)
class OpenCaseTests(CasesTestCase):
    def test_opens_a_case_with_listed_goals_and_one_in_own_words(self) -> None:
        case = open_case(
            site=self.site,
            worker=self.case_manager,
            client=self.anna,
            manager=self.case_manager,
            goal_types=[self.documents, self.housing],
            own_goal="Get back in touch with her sister",
        )
        self.assertEqual(
            (case.opened_on, case.manager, case.is_open), (TODAY, self.case_manager, True)
        )
        goals = list(case.goals.order_by("pk"))
        self.assertEqual([g.goal_type for g in goals], [self.documents, self.housing, None])
        self.assertEqual({g.status for g in goals}, {Goal.Status.WORKING})
        self.assertEqual(unseal(goals[2]), "Get back in touch with her sister")
        self.assertTrue(AuditEvent.objects.filter(verb="case.opened", target_id=case.pk).exists())

    def test_a_goal_in_own_words_is_stored_as_ciphertext(self) -> None:
        case = self.open_case_for(self.anna, own_goal="Passport at the Kharkiv office")
        stored = bytes(Goal.objects.get(case=case, goal_type=None).text or b"")
        self.assertNotIn(b"Kharkiv", stored)

    def test_a_manager_may_put_another_case_manager_in_charge(self) -> None:
        case = open_case(
            site=self.site,
            worker=self.manager,
            client=self.anna,
            manager=self.case_manager,
            goal_types=[self.documents],
        )
        self.assertEqual((case.manager, case.opened_by), (self.case_manager, self.manager))

    def test_refuses_a_second_open_case_for_the_same_client(self) -> None:
        self.open_case_for(self.anna)
        with self.assertRaisesMessage(DomainError, "already has an open case"):
            self.open_case_for(self.anna)
        self.assertEqual(Case.objects.count(), 1)

    def test_refuses_a_case_without_any_goal(self) -> None:
        with self.assertRaisesMessage(DomainError, "Choose at least one goal"):
            open_case(
                site=self.site,
                worker=self.case_manager,
                client=self.anna,
                manager=self.case_manager,
                goal_types=[],
                own_goal="   ",
            )
        self.assertEqual(Case.objects.count(), 0)

    def test_refuses_a_social_worker_as_the_case_manager_in_charge(self) -> None:
        with self.assertRaisesMessage(DomainError, "Choose a case manager of your organisation"):
            open_case(
                site=self.site,
                worker=self.manager,
                client=self.anna,
                manager=self.worker,
                goal_types=[self.documents],
            )

    def test_refuses_a_goal_of_another_organisation(self) -> None:
        foreign = GoalType.objects.get(org=self.other_org, name="Housing")
        with self.assertRaisesMessage(DomainError, "not in your organisation's list"):
            open_case(
                site=self.site,
                worker=self.case_manager,
                client=self.anna,
                manager=self.case_manager,
                goal_types=[foreign],
            )
        self.assertEqual(Case.objects.count(), 0)

    def test_a_retried_request_opens_the_case_once(self) -> None:
        key = uuid.uuid4()

        def submit() -> Case:
            return open_case(
                site=self.site,
                worker=self.case_manager,
                client=self.anna,
                manager=self.case_manager,
                goal_types=[self.documents],
                idempotency_key=key,
            )

        first, again = submit(), submit()
        self.assertEqual(first, again)
        self.assertEqual(Goal.objects.count(), 1)

    def test_a_client_whose_case_closed_can_have_a_new_one(self) -> None:
        close_case(
            case=self.open_case_for(self.anna), worker=self.case_manager, outcome="achieved"
        )
        self.assertTrue(self.open_case_for(self.anna).is_open)
