"""Who the signed-in person is here, and what they may do.

Every view that shows or changes organisation data goes through
``@requires``: it signs the person in, finds their membership and refuses
what their role does not allow. Records are then fetched with the
``get_<model>_for_user`` helpers, which answer 404 outside the
organisation.
"""

from collections.abc import Callable
from functools import update_wrapper
from typing import Concatenate, ParamSpec, TypeGuard

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404

from outpost.core.roles import Perm, role_can
from outpost.orgs.models import Membership, Site, User

P = ParamSpec("P")


class AuthedRequest(HttpRequest):
    """A request from a signed-in staff member with a membership."""

    user: User
    membership: Membership


View = Callable[Concatenate[AuthedRequest, P], HttpResponseBase]


def requires(
    perm: Perm,
) -> Callable[[View[P]], Callable[Concatenate[HttpRequest, P], HttpResponseBase]]:
    """Allow the view only to signed-in staff whose role grants ``perm``."""

    def decorator(view: View[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        def wrapper(
            request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not _is_allowed(request, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        update_wrapper(wrapper, view)
        return wrapper

    return decorator


def _is_allowed(request: HttpRequest, perm: Perm) -> TypeGuard[AuthedRequest]:
    membership = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, perm)


def get_site_for_user(request: AuthedRequest, site_id: int) -> Site:
    return get_object_or_404(Site, pk=site_id, org_id=request.membership.org_id)
