"""Fetch testing records for the signed-in person: 404 outside their
organisation, and every look written to the audit trail."""

from django.shortcuts import get_object_or_404

from outpost.core.audit import audit
from outpost.orgs.access import AuthedRequest
from outpost.testing.models import ArtCourse, Referral


def get_referral_for_user(request: AuthedRequest, referral_id: int) -> Referral:
    referral = get_object_or_404(
        Referral.objects.select_related("client", "test", "site"),
        pk=referral_id,
        org_id=request.membership.org_id,
    )
    audit(
        actor_id=request.user.pk, org_id=referral.org_id, verb="referral.viewed", target=referral
    )
    return referral


def get_art_course_for_user(request: AuthedRequest, course_id: int) -> ArtCourse:
    course = get_object_or_404(
        ArtCourse.objects.select_related("client"),
        pk=course_id,
        org_id=request.membership.org_id,
        stopped_on__isnull=True,
    )
    audit(actor_id=request.user.pk, org_id=course.org_id, verb="art.viewed", target=course)
    return course
