"""The administrator's staff page: roles, deactivation, ending sessions."""

from django.urls import reverse

from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, StaffClient, make_staff
from outpost.orgs.models import Membership, User

SITES = "/orgs/sites/"
STAFF_LIST_QUERIES = 7
STAFF_VERBS = (
    "membership.role_changed",
    "user.deactivated",
    "user.reactivated",
    "sessions.ended_by_admin",
)


class StaffPageTestCase(BaseTestCase):
    admin: User
    other_admin: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.admin = make_staff(cls.org, "admin", Role.ADMIN, cls.site)
        cls.other_admin = make_staff(cls.other_org, "other-admin", Role.ADMIN, cls.other_site)

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.admin)
        self.worker_membership = Membership.objects.get(user=self.worker)

    def url(self, name: str, membership: Membership | None = None) -> str:
        return reverse(f"accounts:{name}", args=[(membership or self.worker_membership).pk])

    def verbs(self) -> list[str]:
        return list(AuditEvent.objects.order_by("pk").values_list("verb", flat=True))


class StaffListTests(StaffPageTestCase):
    def test_lists_the_organisations_staff_with_role_and_last_seen(self) -> None:
        StaffClient().force_login(self.worker)
        response = self.client.get(reverse("accounts:staff"))
        self.assertEqual(response.status_code, 200)
        names = [m.user.username for m in response.context["memberships"]]
        self.assertEqual(names, ["admin", "manager", "worker"])
        worker_row = next(m for m in response.context["memberships"] if m.user == self.worker)
        self.assertIsNotNone(worker_row.last_seen)
        self.assertEqual(worker_row.live_sessions, 1)
        self.assertNotContains(response, "outsider")
        self.assertNotContains(response, "other-admin")

    def test_uses_a_fixed_number_of_queries_whatever_the_number_of_staff(self) -> None:
        with self.assertNumQueries(STAFF_LIST_QUERIES):
            self.client.get(reverse("accounts:staff"))
        for number in range(4):
            StaffClient().force_login(make_staff(self.org, f"extra-{number}", Role.COURIER))
        with self.assertNumQueries(STAFF_LIST_QUERIES):
            response = self.client.get(reverse("accounts:staff"))
        self.assertEqual(len(response.context["memberships"]), 7)

    def test_only_administrators_may_open_it(self) -> None:
        for user in (self.manager, self.worker, self.outsider):
            with self.subTest(user=user.username):
                client = StaffClient()
                client.force_login(user)
                self.assertEqual(client.get(reverse("accounts:staff")).status_code, 403)
                response = client.post(self.url("staff_role"), {"role": Role.MANAGER})
                self.assertEqual(response.status_code, 403)
        self.worker_membership.refresh_from_db()
        self.assertEqual(self.worker_membership.role, Role.SOCIAL_WORKER)

    def test_an_administrator_sees_the_link_in_the_menu(self) -> None:
        self.assertContains(self.client.get(SITES), reverse("accounts:staff"))
        manager = StaffClient()
        manager.force_login(self.manager)
        self.assertNotContains(manager.get(SITES), reverse("accounts:staff"))


class ChangeRoleTests(StaffPageTestCase):
    def test_changes_the_role_and_records_it(self) -> None:
        response = self.client.post(self.url("staff_role"), {"role": Role.CASE_MANAGER})
        self.assertRedirects(response, reverse("accounts:staff"))
        self.worker_membership.refresh_from_db()
        self.assertEqual(self.worker_membership.role, Role.CASE_MANAGER)
        event = AuditEvent.objects.get(verb="membership.role_changed")
        self.assertEqual(
            (event.actor_id, event.target_id), (self.admin.pk, self.worker_membership.pk)
        )
        self.assertEqual(event.org_id, self.org.pk)

    def test_the_new_role_applies_at_the_members_next_request(self) -> None:
        worker = StaffClient()
        worker.force_login(self.worker)
        self.assertEqual(worker.get(SITES).status_code, 200)
        self.client.post(self.url("staff_role"), {"role": Role.COURIER})
        self.assertEqual(worker.get(SITES).status_code, 403)

    def test_an_unknown_role_is_refused(self) -> None:
        response = self.client.post(self.url("staff_role"), {"role": "superuser"}, follow=True)
        self.assertContains(response, "Choose one of the roles in the list.")
        self.worker_membership.refresh_from_db()
        self.assertEqual(self.worker_membership.role, Role.SOCIAL_WORKER)

    def test_an_administrator_cannot_change_their_own_role(self) -> None:
        own = Membership.objects.get(user=self.admin)
        response = self.client.post(
            self.url("staff_role", own), {"role": Role.COURIER}, follow=True
        )
        self.assertContains(response, "You cannot change your own role.")
        own.refresh_from_db()
        self.assertEqual(own.role, Role.ADMIN)

    def test_another_organisations_member_is_not_found(self) -> None:
        outsider = Membership.objects.get(user=self.outsider)
        for name in ("staff_role", "staff_deactivate", "staff_reactivate", "staff_end_sessions"):
            with self.subTest(name=name):
                response = self.client.post(self.url(name, outsider), {"role": Role.ADMIN})
                self.assertEqual(response.status_code, 404)
        outsider.refresh_from_db()
        self.assertEqual(outsider.role, Role.SOCIAL_WORKER)
        self.outsider.refresh_from_db()
        self.assertIs(self.outsider.is_active, True)
        self.assertFalse(AuditEvent.objects.filter(verb__in=STAFF_VERBS).exists())

    def test_writes_need_post(self) -> None:
        self.assertEqual(self.client.get(self.url("staff_role")).status_code, 405)


class DeactivationTests(StaffPageTestCase):
    def test_deactivating_signs_the_member_out_and_keeps_them_out(self) -> None:
        worker = StaffClient()
        worker.force_login(self.worker)
        response = self.client.post(self.url("staff_deactivate"), follow=True)
        self.assertContains(response, "worker can no longer sign in")
        self.assertEqual(worker.get(SITES).status_code, 302)
        signing_in = worker.post(
            "/accounts/login/", {"username": "worker", "password": "correct horse battery"}
        )
        self.assertEqual(signing_in.status_code, 200)
        self.assertIn("user.deactivated", self.verbs())

    def test_reactivating_lets_the_member_sign_in_again(self) -> None:
        self.client.post(self.url("staff_deactivate"))
        self.client.post(self.url("staff_reactivate"))
        self.worker.refresh_from_db()
        self.assertIs(self.worker.is_active, True)
        self.assertEqual(self.verbs()[-1], "user.reactivated")

    def test_an_administrator_cannot_deactivate_themselves(self) -> None:
        own = Membership.objects.get(user=self.admin)
        response = self.client.post(self.url("staff_deactivate", own), follow=True)
        self.assertContains(response, "You cannot deactivate your own account.")
        self.admin.refresh_from_db()
        self.assertIs(self.admin.is_active, True)

    def test_an_account_shared_with_another_organisation_is_not_deactivated(self) -> None:
        Membership.objects.create(user=self.worker, org=self.other_org, role=Role.SOCIAL_WORKER)
        response = self.client.post(self.url("staff_deactivate"), follow=True)
        self.assertContains(response, "also works for another organisation")
        self.worker.refresh_from_db()
        self.assertIs(self.worker.is_active, True)


class EndSessionsTests(StaffPageTestCase):
    def test_ends_every_session_of_the_member_and_records_it(self) -> None:
        phone, laptop = StaffClient(), StaffClient()
        phone.force_login(self.worker)
        laptop.force_login(self.worker)
        response = self.client.post(self.url("staff_end_sessions"), follow=True)
        self.assertContains(response, "2 sessions of worker were ended.")
        self.assertEqual(phone.get(SITES).status_code, 302)
        self.assertEqual(laptop.get(SITES).status_code, 302)
        self.assertEqual(self.client.get(SITES).status_code, 200)
        event = AuditEvent.objects.get(verb="sessions.ended_by_admin")
        self.assertEqual((event.actor_id, event.target_id), (self.admin.pk, self.worker.pk))
