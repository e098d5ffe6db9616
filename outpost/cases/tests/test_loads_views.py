"""Managers: every case manager's load side by side, and handing cases over."""

import time_machine
from django.urls import reverse

from outpost.cases.actions import FollowUpIn
from outpost.cases.models import Case
from outpost.cases.tests.base import NOON, CasesTestCase
from outpost.cases.tests.factories import make_case, make_consultation
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, make_client, make_staff
from outpost.orgs.models import User
from outpost.testing.tests.factories import make_referral

# Session, user, authenticator, session activity, membership (twice), then
# open cases, follow-ups, referrals and consultations per person, and the staff.
LOADS_QUERIES = 11
# The caseload's queries (see test_caseload_view), the person whose caseload
# it is, then the reassign form's open cases and the case managers to hand
# them to.
STAFF_CASELOAD_QUERIES = 19


@time_machine.travel(NOON, tick=False)
class LoadsViewTests(CasesTestCase):
    url = reverse("cases:loads")

    def test_shows_each_case_managers_figures_side_by_side(self) -> None:
        colleague = make_staff(self.org, "colleague", Role.CASE_MANAGER, self.site)
        case = self.open_case_for(self.anna)
        self.consult(case, follow_ups=[FollowUpIn("Call", TODAY)])
        self.client.force_login(self.manager)
        response = self.client.get(self.url)
        loads = {load.membership.user_id: load for load in response.context["loads"]}
        self.assertEqual(set(loads), {self.case_manager.pk, colleague.pk})
        mine = loads[self.case_manager.pk]
        self.assertEqual((mine.cases, mine.due_today, mine.consultations), (1, 1, 1))
        self.assertEqual(loads[colleague.pk].cases, 0)

    def test_someone_who_left_with_open_cases_stays_on_the_list_to_hand_them_over(
        self,
    ) -> None:
        case = self.open_case_for(self.anna)
        User.objects.filter(pk=self.case_manager.pk).update(is_active=False)
        self.client.force_login(self.manager)
        response = self.client.get(self.url)
        self.assertContains(response, "account closed: hand the cases over")
        loads = {load.membership.user_id: load for load in response.context["loads"]}
        self.assertEqual(loads[self.case_manager.pk].cases, 1)
        caseload = reverse("cases:staff_caseload", args=[self.case_manager.pk])
        self.assertContains(self.client.get(caseload), self.anna.code)
        colleague = make_staff(self.org, "colleague", Role.CASE_MANAGER, self.site)
        self.client.post(
            reverse("cases:reassign", args=[self.case_manager.pk]),
            {"cases": [case.pk], "manager": colleague.pk},
        )
        self.assertEqual(Case.objects.get().manager, colleague)
        self.assertNotIn(
            self.case_manager.pk,
            [load.membership.user_id for load in self.client.get(self.url).context["loads"]],
        )

    def test_a_referral_counts_for_the_case_manager_of_the_open_case_only(self) -> None:
        colleague = make_staff(self.org, "colleague", Role.CASE_MANAGER, self.site)
        make_case(self.site, self.anna, colleague, TODAY, closed_on=TODAY)
        self.open_case_for(self.anna)
        make_referral(self.site, self.anna, self.worker, TODAY)
        self.client.force_login(self.manager)
        response = self.client.get(self.url)
        referrals = {load.membership.user_id: load.referrals for load in response.context["loads"]}
        self.assertEqual(referrals, {self.case_manager.pk: 1, colleague.pk: 0})

    def test_the_page_takes_the_same_queries_for_few_or_many_case_managers(self) -> None:
        self.client.force_login(self.manager)
        with self.assertNumQueries(LOADS_QUERIES):
            self.client.get(self.url)
        for number in range(4):
            staff = make_staff(self.org, f"cm-{number}", Role.CASE_MANAGER, self.site)
            client = make_client(self.org, self.worker, mother="Oksana", birth_year=1960 + number)
            case = make_case(self.site, client, staff, TODAY, goal_types=(self.documents,))
            make_consultation(case, self.documents_topic, TODAY, due_on=TODAY)
        with self.assertNumQueries(LOADS_QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["loads"]), 5)

    def test_a_case_manager_an_officer_and_a_courier_are_refused(self) -> None:
        self.assert_refused_to(self.url, self.case_manager, self.officer, self.courier)


@time_machine.travel(NOON, tick=False)
class ReassignViewTests(CasesTestCase):
    colleague: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.colleague = make_staff(cls.org, "colleague", Role.CASE_MANAGER, cls.site)

    def test_a_manager_sees_a_case_managers_caseload_and_hands_a_case_over(self) -> None:
        case = self.open_case_for(self.anna)
        self.client.force_login(self.manager)
        page = self.client.get(reverse("cases:staff_caseload", args=[self.case_manager.pk]))
        self.assertContains(page, "Hand cases over")
        response = self.client.post(
            reverse("cases:reassign", args=[self.case_manager.pk]),
            {"cases": [case.pk], "manager": self.colleague.pk},
        )
        self.assertRedirects(
            response, reverse("cases:staff_caseload", args=[self.case_manager.pk])
        )
        self.assertEqual(Case.objects.get().manager, self.colleague)
        self.assertTrue(
            AuditEvent.objects.filter(
                verb="case.reassigned", actor_id=self.manager.pk, target_id=case.pk
            ).exists()
        )

    def test_another_persons_caseload_takes_the_same_queries_for_few_or_many_cases(
        self,
    ) -> None:
        url = reverse("cases:staff_caseload", args=[self.case_manager.pk])
        self.add_cases(1)
        self.client.force_login(self.manager)
        self.client.get(url)  # loads the vault's keys once
        with self.assertNumQueries(STAFF_CASELOAD_QUERIES):
            self.client.get(url)
        self.add_cases(6)
        with self.assertNumQueries(STAFF_CASELOAD_QUERIES):
            response = self.client.get(url)
        self.assertEqual(len(response.context["reassign_form"].fields["cases"].choices), 7)

    def add_cases(self, count: int) -> None:
        start = Case.objects.count()
        for number in range(count):
            client = make_client(
                self.org, self.worker, mother="Oksana", birth_year=1950 + start + number
            )
            case = make_case(
                self.site, client, self.case_manager, TODAY, goal_types=(self.documents,)
            )
            make_consultation(case, self.documents_topic, TODAY, due_on=TODAY)

    def test_handing_over_nothing_answers_422(self) -> None:
        self.open_case_for(self.anna)
        self.client.force_login(self.manager)
        response = self.client.post(
            reverse("cases:reassign", args=[self.case_manager.pk]), {"manager": self.colleague.pk}
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(Case.objects.get().manager, self.case_manager)

    def test_a_case_of_another_organisation_cannot_be_handed_over(self) -> None:
        mine = self.open_case_for(self.anna)
        foreign = make_case(
            self.other_site,
            make_client(self.other_org, self.outsider),
            self.foreign_case_manager,
            TODAY,
        )
        self.client.force_login(self.manager)
        response = self.client.post(
            reverse("cases:reassign", args=[self.case_manager.pk]),
            {"cases": [mine.pk, foreign.pk], "manager": self.colleague.pk},
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            list(Case.objects.order_by("pk").values_list("manager_id", flat=True)),
            [self.case_manager.pk, self.foreign_case_manager.pk],
        )

    def test_the_page_of_someone_who_holds_no_cases_and_may_not_is_404(self) -> None:
        self.client.force_login(self.manager)
        url = reverse("cases:staff_caseload", args=[self.worker.pk])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_case_manager_is_refused_and_an_outsider_gets_404(self) -> None:
        for name in ("cases:staff_caseload", "cases:reassign"):
            url = reverse(name, args=[self.case_manager.pk])
            with self.subTest(name):
                self.assert_refused_to(url, self.case_manager, self.officer, self.courier)
                foreign_manager = make_staff(
                    self.other_org, f"manager-b-{name[6:]}", Role.MANAGER, self.other_site
                )
                self.assert_outsider_gets_404(url, foreign_manager)
