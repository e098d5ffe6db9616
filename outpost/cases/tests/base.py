import datetime
import uuid
import zoneinfo

from outpost.cases.actions import FollowUpIn, install_case_lists, open_case, record_consultation
from outpost.cases.models import Case, Consultation, GoalType, Topic
from outpost.clients.models import Client
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.orgs.models import User

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))
TOMORROW = TODAY + datetime.timedelta(1)


class CasesTestCase(BaseTestCase):
    """The shared personas, a case manager, a courier and an M&E officer of
    organisation A, the default goals and topics, and a case manager of B."""

    case_manager: User
    courier: User
    officer: User
    foreign_case_manager: User
    documents: GoalType
    housing: GoalType
    documents_topic: Topic

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        install_case_lists(org=cls.org)
        install_case_lists(org=cls.other_org)
        cls.case_manager = make_staff(cls.org, "case-manager", Role.CASE_MANAGER, cls.site)
        cls.courier = make_staff(cls.org, "courier", Role.COURIER, cls.site)
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.foreign_case_manager = make_staff(
            cls.other_org, "case-manager-b", Role.CASE_MANAGER, cls.other_site
        )
        cls.documents = GoalType.objects.get(org=cls.org, name="Documents restored")
        cls.housing = GoalType.objects.get(org=cls.org, name="Housing")
        cls.documents_topic = Topic.objects.get(org=cls.org, name="Documents")

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def open_case_for(self, client: Client, *, own_goal: str = "") -> Case:
        return open_case(
            site=self.site,
            worker=self.case_manager,
            client=client,
            manager=self.case_manager,
            goal_types=[self.documents],
            own_goal=own_goal,
        )

    def consult(
        self,
        case: Case,
        *,
        note: str = "",
        follow_ups: list[FollowUpIn] | None = None,
        channel: str = "phone",
    ) -> Consultation:
        return record_consultation(
            case=case,
            worker=self.case_manager,
            channel=channel,
            topic=self.documents_topic,
            minutes=15,
            note=note,
            follow_ups=follow_ups or [],
            idempotency_key=uuid.uuid4(),
        )

    def assert_refused_to(self, url: str, *users: User) -> None:
        """Each user's role lacks the permission: 403 for GET and POST."""
        for user in users:
            self.client.force_login(user)
            with self.subTest(user=user.username):
                # A page that only takes POST refuses a GET before asking who asks.
                self.assertIn(self.client.get(url).status_code, {403, 405})
                self.assertEqual(self.client.post(url).status_code, 403)

    def assert_outsider_gets_404(self, url: str, outsider: User | None = None) -> None:
        self.client.force_login(outsider or self.foreign_case_manager)
        self.assertIn(self.client.get(url).status_code, {404, 405})
        self.assertEqual(self.client.post(url).status_code, 404)
