"""The manager's lists of case goals and consultation topics."""

from django.urls import reverse

from outpost.cases.models import GoalType, Topic
from outpost.cases.tests.base import CasesTestCase
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import make_staff


class ListViewTests(CasesTestCase):
    def test_shows_the_default_goals_and_topics(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.get(reverse("cases:lists"))
        for name in (
            "Entering opioid substitution therapy",
            "Reconnecting with family",
            "Legal help",
        ):
            self.assertContains(response, name)

    def test_a_manager_adds_a_topic_and_retires_a_goal(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(
            reverse("cases:topic_new"), {"name": "Debts", "is_active": "on"}
        )
        self.assertRedirects(response, reverse("cases:lists"))
        self.assertTrue(Topic.objects.get(org=self.org, name="Debts").is_active)
        self.client.post(
            reverse("cases:goal_type_edit", args=[self.housing.pk]), {"name": "Housing"}
        )
        self.assertFalse(GoalType.objects.get(pk=self.housing.pk).is_active)
        self.assertEqual(AuditEvent.objects.filter(verb="case_lists.changed").count(), 2)

    def test_a_name_already_in_the_list_answers_422(self) -> None:
        self.client.force_login(self.manager)
        response = self.client.post(reverse("cases:goal_type_new"), {"name": "housing"})
        self.assertContains(response, "already has this name", status_code=422)

    def test_a_case_manager_is_refused_and_an_outsider_gets_404(self) -> None:
        url = reverse("cases:goal_type_edit", args=[self.housing.pk])
        self.assert_refused_to(url, self.case_manager, self.officer)
        foreign_manager = make_staff(self.other_org, "manager-b", Role.MANAGER, self.other_site)
        self.assert_outsider_gets_404(url, foreign_manager)
