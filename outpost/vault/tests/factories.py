"""Rows with encrypted contact details, made fast for rotation and lock tests.

They go straight to the models, skipping ``set_contact_details`` and its
per-row audit entry, so that 10,000 of them take seconds, not minutes.
"""

import datetime
import hashlib
from collections.abc import Sequence

from outpost.clients.models import Client, ContactDetails
from outpost.orgs.models import Organisation
from outpost.vault.crypto import blind_index, decrypt, encrypt


def phone_of(number: int) -> str:
    return f"7999{number:07d}"


def telegram_of(number: int) -> str:
    return f"canary_{number:06d}"


def make_clients(org: Organisation, count: int, *, start: int = 0) -> list[Client]:
    return Client.objects.bulk_create(
        Client(
            org=org,
            code=f"T{start + i:09d}",
            mother_part="OL",
            father_part="VA",
            sex="1",
            birth_date=datetime.date(1985, 3, 10),
            network_key=f"{start + i:064d}",
        )
        for i in range(count)
    )


def make_contact_details(clients: Sequence[Client], *, batch: int = 1000) -> None:
    """Give each client a phone and a Telegram name, encrypted and indexed."""
    rows = []
    for client in clients:
        row = ContactDetails(client=client)
        phone, handle = phone_of(client.pk), telegram_of(client.pk)
        row.phone = encrypt(phone, context=ContactDetails.context(row, "phone"))
        row.phone_index = blind_index("phone", phone)
        row.telegram = encrypt(handle, context=ContactDetails.context(row, "telegram"))
        row.telegram_index = blind_index("telegram", handle)
        rows.append(row)
    ContactDetails.objects.bulk_create(rows, batch_size=batch)


def token(value: bytes | memoryview | None) -> bytes:
    """A ciphertext column's value as bytes (PostgreSQL gives memoryview)."""
    if value is None:
        raise AssertionError("no ciphertext in this column")
    return bytes(value)


def plaintext_digest() -> tuple[int, str]:
    """How many rows there are, and a hash of every decrypted value."""
    digest = hashlib.sha256()
    count = 0
    for row in ContactDetails.objects.order_by("pk").iterator(chunk_size=2000):
        phone = decrypt(token(row.phone), context=ContactDetails.context(row, "phone"))
        handle = decrypt(token(row.telegram), context=ContactDetails.context(row, "telegram"))
        digest.update(f"{row.pk}\x00{phone}\x00{handle}\n".encode())
        count += 1
    return count, digest.hexdigest()
