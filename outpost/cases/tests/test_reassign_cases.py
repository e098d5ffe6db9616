"""Handing cases over to another case manager."""

import time_machine

from outpost.cases.actions import close_case, reassign_cases
from outpost.cases.tests.base import NOON, CasesTestCase
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import make_client, make_staff


@time_machine.travel(NOON, tick=False)
class ReassignCasesTests(CasesTestCase):
    def test_moves_each_case_and_audits_each_one(self) -> None:
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        cases = [self.open_case_for(self.anna), self.open_case_for(boris)]
        colleague = make_staff(self.org, "colleague", Role.CASE_MANAGER, self.site)
        moved = reassign_cases(
            org_id=self.org.pk, cases=cases, worker=self.manager, manager=colleague
        )
        self.assertEqual({case.manager_id for case in moved}, {colleague.pk})
        self.assertEqual(
            set(
                AuditEvent.objects.filter(verb="case.reassigned").values_list(
                    "target_id", flat=True
                )
            ),
            {case.pk for case in cases},
        )

    def test_refuses_a_closed_case_and_a_courier_as_the_new_case_manager(self) -> None:
        case = self.open_case_for(self.anna)
        with self.assertRaisesMessage(DomainError, "Choose a case manager of your organisation"):
            reassign_cases(
                org_id=self.org.pk, cases=[case], worker=self.manager, manager=self.courier
            )
        close_case(case=case, worker=self.case_manager, outcome="lost")
        with self.assertRaisesMessage(DomainError, "Only open cases"):
            reassign_cases(
                org_id=self.org.pk, cases=[case], worker=self.manager, manager=self.manager
            )
