"""Every route answers exactly the roles the policy allows (T1, T2, T3).

The policy below is the expected behaviour, written independently of the
views: a route missing from it fails the suite, so a new page cannot ship
without a decision about who may open it.
"""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client as PlainClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from outpost.accounts.models import StaffSession
from outpost.cases.tests.factories import route_samples as case_route_samples
from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.contact_details import set_contact_details
from outpost.core.roles import ROLE_PERMS, Perm, Role
from outpost.core.tests.base import TODAY, BaseTestCase, make_staff
from outpost.delivery.tests.factories import route_samples as delivery_route_samples
from outpost.imports.tests.factories import route_samples as import_route_samples
from outpost.inventory.actions import place_order, store_of
from outpost.inventory.models import Location, StockOrder, Stocktake, Transfer
from outpost.inventory.stocktakes import start_count
from outpost.inventory.transfers import send_transfer
from outpost.orgs.models import Membership, User
from outpost.outreach.tests.factories import route_samples as outreach_route_samples
from outpost.reports.models import Network
from outpost.room.tests.factories import route_samples as room_route_samples
from outpost.testing.models import ArtCourse, Referral
from outpost.testing.tests.factories import make_art_course, make_referral

PUBLIC = "public"
SIGNED_IN = "signed-in"

ROUTE_POLICY: dict[str, Perm | str] = {
    "home": SIGNED_IN,
    "login": PUBLIC,
    "logout": SIGNED_IN,
    "set_language": PUBLIC,
    "orgs:sites": Perm.VIEW_TODAY,
    "clients:register": Perm.REGISTER_CLIENT,
    "clients:code_preview": Perm.REGISTER_CLIENT,
    "clients:contact_details": Perm.VIEW_CONTACT_DETAILS,
    "catalogue:index": Perm.MANAGE_CATALOGUE,
    "catalogue:item_new": Perm.MANAGE_CATALOGUE,
    "catalogue:item_edit": Perm.MANAGE_CATALOGUE,
    "catalogue:kit_new": Perm.MANAGE_CATALOGUE,
    "catalogue:kit_edit": Perm.MANAGE_CATALOGUE,
    "catalogue:service_new": Perm.MANAGE_CATALOGUE,
    "catalogue:service_edit": Perm.MANAGE_CATALOGUE,
    "inventory:overview": Perm.VIEW_STOCK,
    "inventory:site": Perm.VIEW_STOCK,
    "inventory:location": Perm.VIEW_STOCK,
    "inventory:receive": Perm.RECEIVE_STOCK,
    "inventory:locations": Perm.MANAGE_STOCK,
    "inventory:location_new": Perm.MANAGE_STOCK,
    "inventory:location_edit": Perm.MANAGE_STOCK,
    "inventory:policies": Perm.MANAGE_STOCK,
    "inventory:orders": Perm.MANAGE_STOCK,
    "inventory:order_new": Perm.MANAGE_STOCK,
    "inventory:order_cancel": Perm.MANAGE_STOCK,
    "inventory:transfers": Perm.VIEW_STOCK,
    "inventory:transfer_new": Perm.MOVE_STOCK,
    "inventory:transfer_receive": Perm.MOVE_STOCK,
    "inventory:assemble": Perm.MOVE_STOCK,
    "inventory:adjust": Perm.MANAGE_STOCK,
    "inventory:write_off": Perm.MANAGE_STOCK,
    "inventory:count_start": Perm.MOVE_STOCK,
    "inventory:count_sheet": Perm.MOVE_STOCK,
    "inventory:count_history": Perm.VIEW_STOCK,
    "inventory:report": Perm.VIEW_STOCK,
    "contacts:today": Perm.VIEW_TODAY,
    "contacts:entry": Perm.RECORD_CONTACT,
    "contacts:find": Perm.RECORD_CONTACT,
    "contacts:anonymous": Perm.RECORD_CONTACT,
    "contacts:visit": Perm.RECORD_CONTACT,
    "modes:site": Perm.MANAGE_MODES,
    "modes:hours": Perm.MANAGE_MODES,
    "modes:ppe": Perm.RECORD_CONTACT,
    "room:board": Perm.RUN_ROOM,
    "room:check_in": Perm.RUN_ROOM,
    "room:check_out": Perm.RUN_ROOM,
    "room:wait": Perm.RUN_ROOM,
    "room:wait_remove": Perm.RUN_ROOM,
    "room:disinfect": Perm.RUN_ROOM,
    "room:incidents": Perm.RUN_ROOM,
    "room:incident_start": Perm.RUN_ROOM,
    "room:incident": Perm.RUN_ROOM,
    "room:incident_report": Perm.RUN_ROOM,
    "room:events": Perm.RUN_ROOM,
    "room:event_new": Perm.RUN_ROOM,
    "room:event": Perm.RUN_ROOM,
    "room:continuity": Perm.VIEW_TODAY,
    "testing:client": Perm.VIEW_TEST_RESULTS,
    "testing:record_test": Perm.RECORD_TEST,
    "testing:self_test_result": Perm.RECORD_TEST,
    "testing:refer": Perm.MANAGE_REFERRALS,
    "testing:outcome": Perm.MANAGE_REFERRALS,
    "testing:referrals_due": Perm.VIEW_TEST_RESULTS,
    "testing:referral_complete": Perm.MANAGE_REFERRALS,
    "testing:art_start": Perm.MANAGE_ART,
    "testing:art_due": Perm.MANAGE_ART,
    "testing:art_deliver": Perm.MANAGE_ART,
    "testing:cascade": Perm.VIEW_CASCADE,
    "accounts:otp_verify": SIGNED_IN,
    "accounts:otp_enrol": SIGNED_IN,
    "accounts:otp_reset": SIGNED_IN,
    "accounts:sessions": SIGNED_IN,
    "accounts:session_end": SIGNED_IN,
    "accounts:sessions_end_others": SIGNED_IN,
    "accounts:staff": Perm.MANAGE_STAFF,
    "accounts:staff_role": Perm.MANAGE_STAFF,
    "accounts:staff_deactivate": Perm.MANAGE_STAFF,
    "accounts:staff_reactivate": Perm.MANAGE_STAFF,
    "accounts:staff_end_sessions": Perm.MANAGE_STAFF,
    "audit:search": Perm.VIEW_AUDIT,
    "audit:export": Perm.VIEW_AUDIT,
    "vault:lock": Perm.LOCK_SYSTEM,
    "cases:caseload": Perm.MANAGE_CASES,
    "cases:loads": Perm.REASSIGN_CASES,
    "cases:staff_caseload": Perm.REASSIGN_CASES,
    "cases:reassign": Perm.REASSIGN_CASES,
    "cases:figures": Perm.VIEW_CASE_FIGURES,
    "cases:open": Perm.MANAGE_CASES,
    "cases:history": Perm.MANAGE_CASES,
    "cases:case": Perm.MANAGE_CASES,
    "cases:goals": Perm.MANAGE_CASES,
    "cases:consult": Perm.MANAGE_CASES,
    "cases:close": Perm.MANAGE_CASES,
    "cases:follow_up_done": Perm.MANAGE_CASES,
    "cases:lists": Perm.MANAGE_CATALOGUE,
    "cases:goal_type_new": Perm.MANAGE_CATALOGUE,
    "cases:goal_type_edit": Perm.MANAGE_CATALOGUE,
    "cases:topic_new": Perm.MANAGE_CATALOGUE,
    "cases:topic_edit": Perm.MANAGE_CATALOGUE,
    "delivery:route": Perm.DELIVER,
    "delivery:orders": Perm.MANAGE_DELIVERIES,
    "delivery:order_new": Perm.MANAGE_DELIVERIES,
    "delivery:order": Perm.MANAGE_DELIVERIES,
    "outreach:today": Perm.RECORD_CONTACT,
    "outreach:unit": Perm.PLAN_OUTREACH,
    "outreach:shift_start": Perm.RECORD_CONTACT,
    "outreach:shift": Perm.RECORD_CONTACT,
    "outreach:channels": Perm.VIEW_TODAY,
    "outreach:web_figures": Perm.ENTER_WEB_OUTREACH,
    "imports:index": Perm.IMPORT_DATA,
    "imports:detail": Perm.IMPORT_DATA,
    "public:where": PUBLIC,
    "public:where_json": PUBLIC,
    "reports:dashboard": Perm.VIEW_REPORTS,
    "reports:report": Perm.VIEW_REPORTS,
    "reports:export": Perm.VIEW_REPORTS,
    "reports:print": Perm.VIEW_REPORTS,
    "reports:settings": Perm.CONFIGURE_REPORTS,
    "reports:package": Perm.CONFIGURE_REPORTS,
    "reports:codes": Perm.CONFIGURE_REPORTS,
    "reports:population": Perm.CONFIGURE_REPORTS,
    "reports:networks": Perm.VIEW_NETWORK,
    "reports:network": Perm.VIEW_NETWORK,
}

# Routes that act on the requesting person's own records answer 404 for
# someone else's, even to a role that may use the route.
OWN_RECORDS = {"accounts:session_end"}
# Signing out ends the session; each role's walk does it last.
LAST = "logout"

CANARY_PHONE = "79990000001"
CANARY_HANDLE = "canary_f3a9"


def route_patterns() -> dict[str, str]:
    """Every named route and its full pattern, e.g. "sites/<int:site_id>/today/"."""
    found: dict[str, str] = {}

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, ns: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or ns)
            elif pattern.name:
                found[f"{ns}:{pattern.name}" if ns else pattern.name] = prefix + str(
                    pattern.pattern
                )

    walk(get_resolver().url_patterns, "", None)
    return found


def is_login_redirect(response: object) -> bool:
    location = getattr(response, "headers", {}).get("Location", "")
    return getattr(response, "status_code", 0) == 302 and location.startswith(reverse("login"))


PATTERNS = route_patterns()


class RoutePolicyTests(BaseTestCase):
    staff: dict[str, User]
    target: Membership
    foreign_admin: User
    room_ids: dict[str, int]
    referral: Referral
    art_course: ArtCourse
    transfer: Transfer
    stocktake: Stocktake
    order: StockOrder
    case_ids: dict[str, int]
    outreach_ids: dict[str, int]
    import_ids: dict[str, int]
    network: Network

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.staff = {
            role: make_staff(cls.org, f"as-{role}", role, cls.site) for role in Role.values
        }
        cls.target = Membership.objects.get(
            user=make_staff(cls.org, "target", Role.SOCIAL_WORKER, cls.site)
        )
        cls.foreign_admin = make_staff(cls.other_org, "admin-b", Role.ADMIN, cls.other_site)
        set_contact_details(
            client=cls.anna, worker=cls.manager, phone=f"+{CANARY_PHONE}", telegram=CANARY_HANDLE
        )
        # Anna inside the room, someone waiting, an overdose and a group.
        cls.room_ids = room_route_samples(cls.site, cls.manager, cls.anna)
        # An open referral and a client on ART, for the routes that name one.
        cls.referral = make_referral(cls.site, cls.anna, cls.worker, TODAY)
        cls.art_course = make_art_course(cls.site, cls.anna, cls.worker, TODAY)
        # Anna's open case with a follow-up due, its case manager, and the
        # organisation's goals and topics.
        cls.case_ids = case_route_samples(cls.site, cls.anna)
        # A transfer on its way to a bus and the bus's open count sheet,
        # for the routes that name one.
        bus = Location.objects.create(
            org=cls.org, site=cls.site, name="Bus", kind=Location.Kind.MOBILE_UNIT
        )
        cls.transfer = send_transfer(
            source=store_of(cls.site),
            destination=bus,
            lines=[(cls.syringe, 10)],
            worker=cls.manager,
            occurred_on=TODAY,
        )
        cls.stocktake = start_count(location=bus, worker=cls.manager)
        # A delivery order, and a bus with a stop and a shift, for their routes.
        cls.outreach_ids = delivery_route_samples(
            cls.site, cls.manager, cls.injecting_kit
        ) | outreach_route_samples(cls.site, cls.manager)
        # A dry run that found an error; posting to it refuses a real run.
        cls.import_ids = import_route_samples(cls.org, cls.manager)
        # An open order; the first manager's walk cancels it, the rest are told so.
        cls.order = place_order(
            location=store_of(cls.site),
            item=cls.syringe,
            quantity=50,
            worker=cls.manager,
            ordered_on=TODAY,
        )
        # A network of organisation A only: B's staff must not see it.
        cls.network = Network.objects.create(name="East", slug="east")
        cls.network.members.add(cls.org)

    def kwargs_for(self, name: str, user: User) -> dict[str, int | str]:
        known = {
            "site_id": self.site.pk,
            "client_id": self.anna.pk,
            "membership_id": self.target.pk,
            **self.room_ids,
            "referral_id": self.referral.pk,
            "course_id": self.art_course.pk,
            "location_id": store_of(self.site).pk,
            "transfer_id": self.transfer.pk,
            "stocktake_id": self.stocktake.pk,
            "order_id": self.order.pk,
            **self.case_ids,
            **self.outreach_ids,
            **self.import_ids,
        }
        objects = {
            "catalogue:item_edit": Item.objects.filter(org=self.org).first(),
            "catalogue:kit_edit": Kit.objects.filter(org=self.org).first(),
            "catalogue:service_edit": ServiceType.objects.filter(org=self.org).first(),
        }
        kwargs: dict[str, int | str] = {}
        if "<slug:org_slug>" in PATTERNS[name]:
            kwargs["org_slug"] = self.org.slug
        if "<str:fmt>" in PATTERNS[name]:
            kwargs["fmt"] = "csv"
        if "<slug:slug>" in PATTERNS[name]:
            kwargs["slug"] = self.network.slug
        for key in re.findall(r"<int:(\w+)>", PATTERNS[name]):
            if key == "pk":
                found = objects[name]
                assert found is not None
                kwargs[key] = found.pk
            elif key == "session_id":
                # Another browser of the same person, so ending it leaves
                # the walk's own session alive.
                kwargs[key] = StaffSession.objects.create(user=user).pk
            else:
                kwargs[key] = known[key]
        return kwargs

    def test_every_route_is_in_the_policy(self) -> None:
        self.assertEqual(set(PATTERNS) ^ set(ROUTE_POLICY), set())

    def test_each_role_gets_exactly_what_the_policy_allows(self) -> None:
        checks = 0
        walk = sorted(ROUTE_POLICY.items(), key=lambda item: (item[0] == LAST, item[0]))
        for role, user in self.staff.items():
            client = self.client_class()
            client.force_login(user)
            for name, policy in walk:
                allowed = policy in (PUBLIC, SIGNED_IN) or (
                    isinstance(policy, Perm) and policy in ROLE_PERMS[role]
                )
                for method in ("get", "post"):
                    url = reverse(name, kwargs=self.kwargs_for(name, user))
                    response = getattr(client, method)(url)
                    checks += 1
                    with self.subTest(route=name, role=role, method=method):
                        if allowed:
                            self.assertNotEqual(response.status_code, 403)
                            if name != LAST:
                                self.assertFalse(is_login_redirect(response))
                            if name not in OWN_RECORDS:
                                self.assertNotEqual(response.status_code, 404)
                        else:
                            self.assertIn(response.status_code, {403, 405})
                        body = (
                            b"".join(response.streaming_content)
                            if response.streaming
                            else response.content
                        ).decode(errors="replace")
                        if not (allowed and policy == Perm.VIEW_CONTACT_DETAILS):
                            self.assertNotIn(CANARY_PHONE, body)
                            self.assertNotIn(CANARY_HANDLE, body)
        self.assertGreater(checks, 500)

    def test_anonymous_visitors_reach_only_public_routes(self) -> None:
        for name, policy in ROUTE_POLICY.items():
            url = reverse(name, kwargs=self.kwargs_for(name, self.worker))
            for method in ("get", "post"):
                response = getattr(PlainClient(), method)(url)
                with self.subTest(route=name, method=method):
                    if policy == PUBLIC:
                        self.assertFalse(is_login_redirect(response))
                    else:
                        self.assertTrue(
                            is_login_redirect(response) or response.status_code == 405,
                            response.status_code,
                        )

    def test_another_organisations_records_answer_404_even_to_its_admin(self) -> None:
        client = self.client_class()
        client.force_login(self.foreign_admin)
        for name in ROUTE_POLICY:
            kwargs = self.kwargs_for(name, self.foreign_admin)
            # A file format names no record, so it is not another org's.
            if not set(kwargs) - {"session_id", "fmt"} or ROUTE_POLICY[name] == PUBLIC:
                continue
            for method in ("get", "post"):
                response = getattr(client, method)(reverse(name, kwargs=kwargs))
                with self.subTest(route=name, method=method):
                    self.assertIn(response.status_code, {404, 405})


class PermissionTableTests(BaseTestCase):
    def test_the_table_in_the_security_guide_matches_the_code(self) -> None:
        text = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text(encoding="utf-8")
        header = "| permission | " + " | ".join(Role.values) + " |"
        self.assertIn(header, text)
        documented = {}
        for line in text.splitlines():
            match = re.match(r"\| `(\w+)` \| (.+) \|$", line)
            if match and match.group(1) in {p.value for p in Perm}:
                marks = [cell.strip() for cell in match.group(2).split("|")]
                if len(marks) == len(Role.values):
                    documented[match.group(1)] = {
                        role for role, mark in zip(Role.values, marks, strict=True) if mark == "✓"
                    }
        expected = {
            perm.value: {role for role in Role.values if perm in ROLE_PERMS[role]} for perm in Perm
        }
        self.assertEqual(documented, expected)
