import datetime
import zoneinfo

from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.orgs.models import User

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))


class TestingViewTestCase(BaseTestCase):
    """The shared personas, plus a courier and a case manager of organisation A."""

    courier: User
    case_manager: User
    officer: User
    foreign_case_manager: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.courier = make_staff(cls.org, "courier", Role.COURIER, cls.site)
        cls.case_manager = make_staff(cls.org, "case-manager", Role.CASE_MANAGER, cls.site)
        cls.officer = make_staff(cls.org, "officer", Role.ME_OFFICER, cls.site)
        cls.foreign_case_manager = make_staff(
            cls.other_org, "case-manager-b", Role.CASE_MANAGER, cls.other_site
        )

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def assert_courier_and_outsider_refused(
        self, url: str, outsider_url: str, outsider: User | None = None
    ) -> None:
        """A courier gets 403; a member of another organisation gets 404."""
        self.client.force_login(self.courier)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertEqual(self.client.post(url).status_code, 403)
        self.client.force_login(outsider or self.outsider)
        self.assertEqual(self.client.get(outsider_url).status_code, 404)
        self.assertEqual(self.client.post(outsider_url).status_code, 404)
