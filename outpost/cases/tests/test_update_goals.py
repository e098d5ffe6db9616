"""Changing the status of a case's goals, and adding goals."""

import time_machine

from outpost.cases.actions import close_case, update_goals
from outpost.cases.models import Goal
from outpost.cases.notes import unseal
from outpost.cases.tests.base import NOON, CasesTestCase
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import TODAY


@time_machine.travel(NOON, tick=False)
class UpdateGoalsTests(CasesTestCase):
    def test_marks_a_goal_achieved_and_adds_new_goals(self) -> None:
        case = self.open_case_for(self.anna)
        goal = Goal.objects.get()
        update_goals(
            case=case,
            worker=self.case_manager,
            statuses={goal.pk: Goal.Status.ACHIEVED},
            goal_types=[self.housing],
            own_goal="Find a dentist",
        )
        goal.refresh_from_db()
        self.assertEqual((goal.status, goal.status_on), (Goal.Status.ACHIEVED, TODAY))
        added = list(Goal.objects.exclude(pk=goal.pk).order_by("pk"))
        self.assertEqual([g.goal_type for g in added], [self.housing, None])
        self.assertEqual(unseal(added[1]), "Find a dentist")
        self.assertEqual(AuditEvent.objects.filter(verb="case.goals_changed").count(), 1)

    def test_refuses_a_goal_of_another_case(self) -> None:
        case = self.open_case_for(self.anna)
        with self.assertRaisesMessage(DomainError, "not part of this case"):
            update_goals(case=case, worker=self.case_manager, statuses={999_999: "achieved"})

    def test_refuses_changes_to_a_closed_case(self) -> None:
        case = self.open_case_for(self.anna)
        close_case(case=case, worker=self.case_manager, outcome="lost")
        goal = Goal.objects.get()
        with self.assertRaisesMessage(DomainError, "This case was closed"):
            update_goals(case=case, worker=self.case_manager, statuses={goal.pk: "achieved"})
