"""Staff roles and what each may do: deny by default.

The table is the single source of truth for function-level access. Views
state the permission they need with ``@requires(Perm.X)``; a role not
listed for a permission is refused.
"""

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("Social worker")
    OUTREACH_WORKER = "outreach_worker", _("Outreach worker")
    COURIER = "courier", _("Courier")
    CASE_MANAGER = "case_manager", _("Case manager")
    ME_OFFICER = "me_officer", _("M&E officer")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class Perm(enum.Enum):
    REGISTER_CLIENT = "register_client"
    RECORD_CONTACT = "record_contact"
    VIEW_TODAY = "view_today"
    VIEW_STOCK = "view_stock"
    RECEIVE_STOCK = "receive_stock"
    MANAGE_CATALOGUE = "manage_catalogue"
    VIEW_CONTACT_DETAILS = "view_contact_details"
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"
    LOCK_SYSTEM = "lock_system"
    RECORD_TEST = "record_test"
    VIEW_TEST_RESULTS = "view_test_results"
    MANAGE_REFERRALS = "manage_referrals"
    MANAGE_ART = "manage_art"
    VIEW_CASCADE = "view_cascade"
    MOVE_STOCK = "move_stock"
    MANAGE_STOCK = "manage_stock"
    MANAGE_MODES = "manage_modes"
    RUN_ROOM = "run_room"
    MANAGE_DELIVERIES = "manage_deliveries"
    DELIVER = "deliver"
    PLAN_OUTREACH = "plan_outreach"
    ENTER_WEB_OUTREACH = "enter_web_outreach"
    MANAGE_CASES = "manage_cases"
    VIEW_CASE_NOTES = "view_case_notes"
    VIEW_CASE_FIGURES = "view_case_figures"
    REASSIGN_CASES = "reassign_cases"
    VIEW_REPORTS = "view_reports"
    CONFIGURE_REPORTS = "configure_reports"
    IMPORT_DATA = "import_data"
    VIEW_NETWORK = "view_network"


_FRONTLINE = frozenset(
    {
        Perm.REGISTER_CLIENT,
        Perm.RECORD_CONTACT,
        Perm.VIEW_TODAY,
        Perm.VIEW_STOCK,
        Perm.RECEIVE_STOCK,
        Perm.MOVE_STOCK,
        Perm.RUN_ROOM,
    }
)

# Tests, results and referrals: the staff who meet clients, never couriers.
_TESTING = frozenset(
    {Perm.RECORD_TEST, Perm.VIEW_TEST_RESULTS, Perm.MANAGE_REFERRALS, Perm.VIEW_CASCADE}
)

# Contact details are kept only for clients staff must reach: outreach and
# case management. The window sees codes, not phone numbers. Outreach
# workers also drive staff cars with deliveries; a courier does nothing else.
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.SOCIAL_WORKER: _FRONTLINE | _TESTING | {Perm.MANAGE_DELIVERIES},
    Role.OUTREACH_WORKER: _FRONTLINE
    | _TESTING
    | {
        Perm.VIEW_CONTACT_DETAILS,
        Perm.MANAGE_DELIVERIES,
        Perm.DELIVER,
        Perm.PLAN_OUTREACH,
        Perm.ENTER_WEB_OUTREACH,
    },
    Role.CASE_MANAGER: (_FRONTLINE - {Perm.RECEIVE_STOCK, Perm.MOVE_STOCK})
    | {Perm.VIEW_CONTACT_DETAILS}
    | _TESTING
    | {Perm.MANAGE_ART, Perm.MANAGE_DELIVERIES, Perm.ENTER_WEB_OUTREACH}
    | {Perm.MANAGE_CASES, Perm.VIEW_CASE_NOTES, Perm.VIEW_CASE_FIGURES},
    Role.COURIER: frozenset({Perm.DELIVER}),
    Role.ME_OFFICER: frozenset(
        {
            Perm.VIEW_TODAY,
            Perm.VIEW_STOCK,
            Perm.VIEW_CASCADE,
            Perm.VIEW_CASE_FIGURES,
            Perm.VIEW_REPORTS,
            Perm.VIEW_NETWORK,
        }
    ),
    Role.MANAGER: frozenset(Perm) - {Perm.MANAGE_STAFF, Perm.LOCK_SYSTEM},
    Role.ADMIN: frozenset(Perm),
}


def role_can(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMS.get(role, frozenset())
