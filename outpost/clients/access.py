from django.shortcuts import get_object_or_404

from outpost.clients.models import Client
from outpost.core.audit import audit
from outpost.orgs.access import AuthedRequest


def get_client_for_user(request: AuthedRequest, client_id: int) -> Client:
    """The client if it belongs to the person's organisation, else 404; logged."""
    client = get_object_or_404(
        Client.objects.prefetch_related("groups"),
        pk=client_id,
        org_id=request.membership.org_id,
    )
    audit(actor_id=request.user.pk, org_id=client.org_id, verb="client.viewed", target=client)
    return client
