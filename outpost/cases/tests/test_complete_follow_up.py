"""Marking a follow-up done."""

import time_machine

from outpost.cases.actions import FollowUpIn, close_case, complete_follow_up
from outpost.cases.models import FollowUp
from outpost.cases.tests.base import NOON, TOMORROW, CasesTestCase
from outpost.core.errors import DomainError
from outpost.core.tests.base import TODAY


@time_machine.travel(NOON, tick=False)
class CompleteFollowUpTests(CasesTestCase):
    def test_marks_the_follow_up_done_today_by_the_person(self) -> None:
        case = self.open_case_for(self.anna)
        self.consult(case, follow_ups=[FollowUpIn("Call back", TOMORROW)])
        done = complete_follow_up(follow_up=FollowUp.objects.get(), worker=self.manager)
        self.assertEqual((done.done_on, done.done_by), (TODAY, self.manager))
        with self.assertRaisesMessage(DomainError, "already done"):
            complete_follow_up(follow_up=done, worker=self.manager)

    def test_a_follow_up_cancelled_by_closing_the_case_cannot_be_done(self) -> None:
        case = self.open_case_for(self.anna)
        self.consult(case, follow_ups=[FollowUpIn("Call back", TOMORROW)])
        close_case(case=case, worker=self.case_manager, outcome="lost")
        with self.assertRaisesMessage(DomainError, "cancelled when its case closed"):
            complete_follow_up(follow_up=FollowUp.objects.get(), worker=self.case_manager)
