"""Phone numbers and Telegram names of clients: encrypted, looked up blind.

Contact details are the most dangerous thing Outpost holds: they lead to a
person. They are kept only while needed, readable only with the keys held
outside the database, and every reveal is audited.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from outpost.clients.models import Client, ContactDetails
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.orgs.models import User
from outpost.vault.crypto import blind_index, decrypt, encrypt, normalise_phone, normalise_telegram

TELEGRAM_HANDLE = re.compile(r"[a-z0-9_]{5,32}")


@dataclass(frozen=True)
class RevealedContactDetails:
    phone: str
    telegram: str


def _clean_phone(raw: str) -> str:
    phone = normalise_phone(raw)
    if not 7 <= len(phone) <= 15:
        raise DomainError(gettext("A phone number has 7 to 15 digits."))
    return phone


def _clean_telegram(raw: str) -> str:
    handle = normalise_telegram(raw)
    if not TELEGRAM_HANDLE.fullmatch(handle):
        raise DomainError(gettext("A Telegram name has 5 to 32 letters, digits or underscores."))
    return handle


@transaction.atomic
def set_contact_details(
    *, client: Client, worker: User, phone: str, telegram: str
) -> ContactDetails | None:
    """Keep a client's phone and Telegram name, encrypted; empty removes them.

    Returns None when nothing is left to keep, so no empty row lingers.
    """
    phone = _clean_phone(phone) if phone.strip() else ""
    telegram = _clean_telegram(telegram) if telegram.strip() else ""
    details = ContactDetails.objects.select_for_update().filter(client=client).first()
    if not phone and not telegram:
        if details is not None:
            details.delete()
            audit(
                actor_id=worker.pk,
                org_id=client.org_id,
                verb="contact_details.erased",
                target=client,
            )
        return None
    details = details or ContactDetails(client=client)
    details.phone = (
        encrypt(phone, context=ContactDetails.context(details, "phone")) if phone else None
    )
    details.phone_index = blind_index("phone", phone) if phone else ""
    details.telegram = (
        encrypt(telegram, context=ContactDetails.context(details, "telegram"))
        if telegram
        else None
    )
    details.telegram_index = blind_index("telegram", telegram) if telegram else ""
    details.save()
    audit(actor_id=worker.pk, org_id=client.org_id, verb="contact_details.changed", target=client)
    return details


@transaction.atomic
def reveal_contact_details(*, client: Client, worker: User) -> RevealedContactDetails:
    """Decrypt a client's contact details for one person to read; audited."""
    details = ContactDetails.objects.filter(client=client).first()
    audit(actor_id=worker.pk, org_id=client.org_id, verb="contact_details.revealed", target=client)
    if details is None:
        return RevealedContactDetails(phone="", telegram="")
    return RevealedContactDetails(
        phone=_decrypt(details, "phone"), telegram=_decrypt(details, "telegram")
    )


def _decrypt(details: ContactDetails, field: str) -> str:
    token = getattr(details, field)
    if token is None:
        return ""
    return decrypt(bytes(token), context=ContactDetails.context(details, field))


def find_clients_by_contact(*, org_id: int, kind: str, value: str) -> list[Client]:
    """Clients of one organisation whose phone or Telegram name is exactly ``value``.

    The blind index narrows the search without decrypting every row; each
    candidate is then decrypted and compared, so an index collision never
    returns the wrong client.
    """
    clean = _clean_phone(value) if kind == "phone" else _clean_telegram(value)
    candidates = ContactDetails.objects.filter(
        client__org_id=org_id, **{f"{kind}_index": blind_index(kind, clean)}
    ).select_related("client")
    return [row.client for row in candidates if _decrypt(row, kind) == clean]


def purge_stale_contact_details(*, today: datetime.date) -> int:
    """Remove contact details of clients not seen within the retention limit."""
    cutoff = today - datetime.timedelta(days=settings.CONTACT_DETAILS_RETENTION_DAYS)
    stale = ContactDetails.objects.filter(
        Q(client__last_contact_date__lt=cutoff)
        | Q(client__last_contact_date__isnull=True, updated_at__date__lt=cutoff)
    )
    deleted, _ = stale.delete()
    return deleted
