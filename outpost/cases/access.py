"""Fetch case records for the signed-in person: 404 outside their
organisation, and every look at a case written to the audit trail."""

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from outpost.cases.actions import case_manager_roles
from outpost.cases.models import Case, FollowUp, GoalType, Topic
from outpost.core.audit import audit
from outpost.orgs.access import AuthedRequest
from outpost.orgs.models import Membership


def get_case_for_user(request: AuthedRequest, case_id: int) -> Case:
    case = get_object_or_404(
        Case.objects.select_related("client", "site", "manager"),
        pk=case_id,
        org_id=request.membership.org_id,
    )
    audit(actor_id=request.user.pk, org_id=case.org_id, verb="case.viewed", target=case)
    return case


def get_follow_up_for_user(request: AuthedRequest, follow_up_id: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.select_related("case"),
        pk=follow_up_id,
        org_id=request.membership.org_id,
    )


def get_case_manager_for_user(request: AuthedRequest, staff_id: int) -> Membership:
    """A member of the person's organisation who may hold cases or still
    holds some (after leaving or changing role), else 404."""
    org_id = request.membership.org_id
    holds_cases = Exists(Case.objects.open().filter(org_id=org_id, manager_id=OuterRef("user_id")))
    return get_object_or_404(
        Membership.objects.select_related("user", "site").filter(
            Q(role__in=case_manager_roles()) | holds_cases
        ),
        user_id=staff_id,
        org_id=org_id,
    )


def get_goal_type_for_user(request: AuthedRequest, goal_type_id: int) -> GoalType:
    return get_object_or_404(GoalType, pk=goal_type_id, org_id=request.membership.org_id)


def get_topic_for_user(request: AuthedRequest, topic_id: int) -> Topic:
    return get_object_or_404(Topic, pk=topic_id, org_id=request.membership.org_id)
