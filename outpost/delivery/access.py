from django.shortcuts import get_object_or_404

from outpost.core.roles import ROLE_PERMS, Perm
from outpost.delivery.models import DeliveryOrder
from outpost.orgs.access import AuthedRequest
from outpost.orgs.models import User

LINES = ("lines__kit", "lines__item")


def get_delivery_for_user(request: AuthedRequest, delivery_id: int) -> DeliveryOrder:
    """An order of the person's organisation, else 404."""
    return get_object_or_404(
        DeliveryOrder.objects.select_related("site", "client", "courier").prefetch_related(*LINES),
        pk=delivery_id,
        org_id=request.membership.org_id,
    )


def couriers_of(org_id: int) -> list[User]:
    """Active staff of the organisation whose role delivers."""
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.DELIVER in perms]
    return list(
        User.objects.filter(
            is_active=True, memberships__org_id=org_id, memberships__role__in=roles
        ).order_by("username")
    )
