from django.shortcuts import get_object_or_404

from outpost.inventory.models import Location
from outpost.orgs.access import AuthedRequest


def get_location_for_user(request: AuthedRequest, location_id: int) -> Location:
    """A stock location of the user's organisation, or 404."""
    return get_object_or_404(
        Location.objects.select_related("site"),
        pk=location_id,
        org_id=request.membership.org_id,
    )
