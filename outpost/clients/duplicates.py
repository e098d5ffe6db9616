"""Possible duplicates of a new code among an organisation's clients (SPEC §1.3).

Two indexed look-ups fetch the only clients that can match (same sex and
birth date; same letters and sex); the rules then run in Python on those few.
"""

from django.db.models import Q

from outpost.clients.models import Client
from outpost.clients.uic import UICParts, duplicate_reason


def parts_of(client: Client) -> UICParts:
    return UICParts(
        mother=client.mother_part,
        father=client.father_part,
        sex=client.sex,
        birth_date=client.birth_date,
    )


def possible_duplicates(org_id: int, parts: UICParts) -> list[tuple[Client, str]]:
    candidates = Client.objects.filter(org_id=org_id, sex=parts.sex).filter(
        Q(birth_date=parts.birth_date) | Q(mother_part=parts.mother, father_part=parts.father)
    )
    found = []
    for client in candidates.order_by("code")[:200]:
        reason = duplicate_reason(parts, parts_of(client))
        if reason is not None:
            found.append((client, reason))
    return found
