from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from outpost.orgs.models import Membership

SESSION_ORG_KEY = "outpost_org_id"


class MembershipMiddleware:
    """Attach the staff member's membership and switch to their language.

    A person with roles in several organisations works in one at a time;
    the session remembers which.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = None
        if request.user.is_authenticated:
            memberships = Membership.objects.filter(user_id=request.user.pk).select_related(
                "org", "site"
            )
            chosen = request.session.get(SESSION_ORG_KEY)
            membership = (
                next((m for m in memberships if m.org_id == chosen), None)
                or memberships.order_by("pk").first()
            )
            language = getattr(request.user, "language", "")
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        request.membership = membership  # type: ignore[attr-defined]  # set for AuthedRequest
        return self.get_response(request)
