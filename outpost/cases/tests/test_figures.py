"""Case-management figures, against a small dataset worked out by hand."""

import datetime

from outpost.cases.figures import (
    Scope,
    cases_by_month,
    consultations_by_month,
    goals_achieved,
    outcomes,
)
from outpost.cases.models import Goal, Topic
from outpost.cases.tests.base import CasesTestCase
from outpost.cases.tests.factories import make_case, make_consultation
from outpost.core.periods import Period
from outpost.core.tests.base import make_client, make_site

D = datetime.date
FEB_MAR = Period(D(2026, 2, 1), D(2026, 3, 31))


class CaseFiguresTests(CasesTestCase):
    def test_counts_consultations_cases_and_goals_per_month(self) -> None:
        family = Topic.objects.get(org=self.org, name="Family")
        boris = make_client(self.org, self.worker, mother="Boryslava", birth_year=1990)
        # Anna: opened in January, closed in March with documents achieved.
        anna = make_case(
            self.site,
            self.anna,
            self.case_manager,
            D(2026, 1, 20),
            goal_types=(self.documents, self.housing),
            closed_on=D(2026, 3, 1),
        )
        Goal.objects.filter(case=anna, goal_type=self.documents).update(
            status="achieved", status_on=D(2026, 2, 10)
        )
        # Boris: opened in February, still open.
        boris_case = make_case(self.site, boris, self.case_manager, D(2026, 2, 3))
        make_consultation(anna, self.documents_topic, D(2026, 1, 31))  # before the period
        make_consultation(anna, self.documents_topic, D(2026, 2, 2), minutes=20)
        make_consultation(anna, self.documents_topic, D(2026, 2, 9), minutes=10)
        make_consultation(boris_case, family, D(2026, 2, 9), channel="messenger", minutes=5)
        make_consultation(boris_case, family, D(2026, 3, 2), channel="room", minutes=30)
        # Another organisation's case counts nowhere.
        other = make_site(self.other_org, "Elsewhere")
        outsider_client = make_client(self.other_org, self.outsider)
        make_case(other, outsider_client, self.foreign_case_manager, D(2026, 2, 5))

        scope = Scope(org_id=self.org.pk)
        # Worked out by hand for February and March:
        # - consultations: the one of 31 January is before the period.
        #   February, messenger, Family: Boris's of the 9th (5 min) → 1, 5.
        #   February, phone, Documents: Anna's of the 2nd (20) and 9th (10)
        #   → 2, 30. March, room, Family: Boris's of the 2nd (30) → 1, 30.
        #   Rows go by month, then channel ("messenger" before "phone").
        # - cases: Anna's opened in January (outside) and closed on 1 March;
        #   Boris's opened on 3 February; B's case counts nowhere.
        #   → February 1 opened, 0 closed; March 0 opened, 1 closed.
        # - outcomes: Anna's case, closed in March as achieved → 1.
        # - goals: Anna's documents, achieved on 10 February → 1; her
        #   housing is still being worked on. From 11 February: none.
        consultations = [
            (row.month, row.channel, row.topic_name, row.consultations, row.minutes)
            for row in consultations_by_month(scope, FEB_MAR)
        ]
        self.assertEqual(
            consultations,
            [
                (D(2026, 2, 1), "messenger", "Family", 1, 5),
                (D(2026, 2, 1), "phone", "Documents", 2, 30),
                (D(2026, 3, 1), "room", "Family", 1, 30),
            ],
        )
        self.assertEqual(
            [(row.month, row.opened, row.closed) for row in cases_by_month(scope, FEB_MAR)],
            [(D(2026, 2, 1), 1, 0), (D(2026, 3, 1), 0, 1)],
        )
        self.assertEqual(
            [(r.outcome, r.cases) for r in outcomes(scope, FEB_MAR)], [("achieved", 1)]
        )
        self.assertEqual(
            [(r.label, r.achieved) for r in goals_achieved(scope, FEB_MAR)],
            [("Documents restored", 1)],
        )
        only_february = Period(D(2026, 2, 11), D(2026, 2, 28))
        self.assertEqual(goals_achieved(scope, only_february), [])

    def test_a_consultation_in_the_room_is_labelled_in_person(self) -> None:
        case = make_case(self.site, self.anna, self.case_manager, D(2026, 2, 1))
        make_consultation(case, self.documents_topic, D(2026, 2, 2), channel="room")
        [row] = consultations_by_month(Scope(org_id=self.org.pk), FEB_MAR)
        self.assertEqual(row.channel_label, "In person")
