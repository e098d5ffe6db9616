"""The case manager's own words, sealed with the vault.

A goal in free text, a consultation's note and a follow-up's action can
name people, places and troubles. Each is encrypted bound to its table,
column and row, so a copy of the database reads as ciphertext and a value
moved to another row does not open. Only views of roles with
``view_case_notes`` open them, and each page that does writes one audit
entry ("case_notes.revealed").
"""

from collections.abc import Callable

from django.db import models

from outpost.cases.models import Consultation, FollowUp, Goal
from outpost.vault import registry
from outpost.vault.crypto import decrypt, encrypt

SEALED: dict[type[models.Model], str] = {Goal: "text", Consultation: "note", FollowUp: "action"}


def context(row: models.Model, field: str) -> str:
    """What each ciphertext is bound to: "cases.<model>.<field>:<pk>"."""
    return f"{row._meta.label_lower}.{field}:{row.pk}"


def seal(row: models.Model, value: str) -> None:
    """Encrypt ``value`` into the row's sealed field and save that field only.

    The row must be saved already: the ciphertext is bound to its key.
    """
    field = SEALED[type(row)]
    token = encrypt(value, context=context(row, field)) if value else None
    setattr(row, field, token)
    row.save(update_fields=[field])


def unseal(row: models.Model) -> str:
    """The plain text of the row's sealed field; empty if none or erased."""
    field = SEALED[type(row)]
    token = getattr(row, field)
    if token is None:
        return ""
    return decrypt(bytes(token), context=context(row, field))


def register_sealed_fields() -> None:
    """Let key rotation and destroy reach every sealed field."""
    for model, field in SEALED.items():
        registry.register(model, field, context=_context_of(field))


def _context_of(field: str) -> Callable[[models.Model], str]:
    return lambda row: context(row, field)
