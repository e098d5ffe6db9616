"""Closing a case with its outcome."""

import time_machine

from outpost.cases.actions import FollowUpIn, close_case
from outpost.cases.models import FollowUp, Goal
from outpost.cases.tests.base import NOON, TOMORROW, CasesTestCase
from outpost.core.errors import DomainError
from outpost.core.tests.base import TODAY


@time_machine.travel(NOON, tick=False)
class CloseCaseTests(CasesTestCase):
    def test_closing_marks_open_goals_not_achieved_and_cancels_what_is_still_due(self) -> None:
        case = self.open_case_for(self.anna)
        self.consult(case, follow_ups=[FollowUpIn("Call back", TOMORROW)])
        closed = close_case(case=case, worker=self.case_manager, outcome="transferred")
        self.assertEqual((closed.closed_on, closed.outcome), (TODAY, "transferred"))
        self.assertEqual(Goal.objects.get().status, Goal.Status.NOT_ACHIEVED)
        self.assertEqual(FollowUp.objects.get().cancelled_on, TODAY)
        self.assertEqual(FollowUp.objects.pending().count(), 0)

    def test_an_achieved_goal_stays_achieved(self) -> None:
        case = self.open_case_for(self.anna)
        Goal.objects.update(status=Goal.Status.ACHIEVED)
        close_case(case=case, worker=self.case_manager, outcome="achieved")
        self.assertEqual(Goal.objects.get().status, Goal.Status.ACHIEVED)

    def test_refuses_an_unknown_outcome_and_a_case_already_closed(self) -> None:
        case = self.open_case_for(self.anna)
        with self.assertRaisesMessage(DomainError, "Choose how the case ended"):
            close_case(case=case, worker=self.case_manager, outcome="vanished")
        close_case(case=case, worker=self.case_manager, outcome="lost")
        with self.assertRaisesMessage(DomainError, "This case was closed on 2026-03-02"):
            close_case(case=case, worker=self.case_manager, outcome="achieved")
