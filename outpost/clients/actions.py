from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction

from outpost.clients.models import Client, ClientGroup
from outpost.clients.uic import UICParts, network_key
from outpost.core.audit import audit
from outpost.orgs.models import Organisation, User


@transaction.atomic
def register_client(
    *, org: Organisation, parts: UICParts, groups: Sequence[str], worker: User
) -> tuple[Client, bool]:
    """Register a client by code, or return the one that already has it.

    Returns the client and whether it was created. The same code never makes
    a second client (SPEC §1.3), even when two workers register it at once.
    """
    existing = Client.objects.filter(org=org, code=parts.code).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            client = Client.objects.create(
                org=org,
                code=parts.code,
                mother_part=parts.mother,
                father_part=parts.father,
                sex=parts.sex,
                birth_date=parts.birth_date,
                network_key=network_key(parts.code, settings.NETWORK_SECRET.encode()),
            )
    except IntegrityError:
        return Client.objects.get(org=org, code=parts.code), False
    ClientGroup.objects.bulk_create(
        [ClientGroup(client=client, group=group) for group in sorted(set(groups))]
    )
    audit(actor_id=worker.pk, org_id=org.pk, verb="client.registered", target=client)
    return client, True
