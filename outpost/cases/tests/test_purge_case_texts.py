"""Retention: what case managers wrote is erased a while after the case closes."""

import datetime

import time_machine
from django.test import override_settings

from outpost.cases.actions import FollowUpIn
from outpost.cases.models import Case, Consultation, FollowUp, Goal
from outpost.cases.notes import unseal
from outpost.cases.tests.base import NOON, TOMORROW, CasesTestCase
from outpost.core.retention import jobs
from outpost.core.tests.base import TODAY, make_client


@override_settings(CASE_NOTES_RETENTION_DAYS=365)
@time_machine.travel(NOON, tick=False)
class PurgeCaseTextsTests(CasesTestCase):
    def write_case(self, client_name: str) -> Case:
        client = make_client(self.org, self.worker, mother=client_name, birth_year=1980)
        case = self.open_case_for(client, own_goal="Own goal")
        self.consult(case, note="A note", follow_ups=[FollowUpIn("Call", TOMORROW)])
        return case

    def test_erases_the_texts_of_cases_closed_longer_ago_than_the_limit(self) -> None:
        old, recent, still_open = (self.write_case(n) for n in ("Oksana", "Iryna", "Halyna"))
        for case, days in ((old, 366), (recent, 365)):
            closed_on = TODAY - datetime.timedelta(days)
            Case.objects.filter(pk=case.pk).update(
                opened_on=closed_on, closed_on=closed_on, outcome="achieved"
            )

        erased = jobs()["case_notes"](TODAY)

        self.assertEqual(erased, 3)
        for case, kept in ((old, False), (recent, True), (still_open, True)):
            with self.subTest(case=case.pk):
                texts = [
                    unseal(Goal.objects.get(case=case, goal_type=None)),
                    unseal(Consultation.objects.get(case=case)),
                    unseal(FollowUp.objects.get(case=case)),
                ]
                self.assertEqual(texts, ["Own goal", "A note", "Call"] if kept else ["", "", ""])
        self.assertEqual(Consultation.objects.count(), 3)
