"""Which model fields hold ciphertext, so rotation and destroy can find them.

Apps register each encrypted BinaryField in their ``AppConfig.ready()``::

    register(
        ContactDetails,
        "phone",
        context=lambda row: ContactDetails.context(row, "phone"),
        index_field="phone_index",
        index_kind="phone",
    )

``context`` must return the same string that was passed to
``crypto.encrypt`` for that row, and may use only values that never change
for the row (its primary key, say).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from outpost.vault.crypto import INDEX_KINDS

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class EncryptedField:
    model: type[models.Model]
    field: str
    context: Callable[[models.Model], str]
    index_field: str | None = None
    index_kind: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"


_registry: dict[tuple[str, str], EncryptedField] = {}


def register(
    model: type[M],
    field: str,
    *,
    context: Callable[[M], str],
    index_field: str | None = None,
    index_kind: str | None = None,
) -> None:
    """Declare that ``model.field`` holds ciphertext made by crypto.encrypt.

    Registering the same field again replaces the earlier entry.
    """
    label = f"{model._meta.label_lower}.{field}"
    if model._meta.abstract or model._meta.proxy:
        raise ImproperlyConfigured(f"{label}: register the concrete model")
    if not isinstance(model._meta.get_field(field), models.BinaryField):
        raise ImproperlyConfigured(f"{label} must be a BinaryField to hold ciphertext")
    if (index_field is None) != (index_kind is None):
        raise ImproperlyConfigured(f"{label}: give both index_field and index_kind, or neither")
    if index_field is not None:
        if not isinstance(model._meta.get_field(index_field), models.CharField):
            raise ImproperlyConfigured(f"{label}: {index_field} must be a CharField")
        if index_kind not in INDEX_KINDS:
            raise ImproperlyConfigured(f"{label}: index_kind must be one of {INDEX_KINDS}")

    def bound(row: models.Model) -> str:
        # Rotation hands rows back as their own model; the check keeps the
        # caller's narrower type honest.
        if not isinstance(row, model):
            raise TypeError(f"{label} context called with a {type(row).__name__}")
        return context(row)

    _registry[(model._meta.label_lower, field)] = EncryptedField(
        model=model,
        field=field,
        context=bound,
        index_field=index_field,
        index_kind=index_kind,
    )


def unregister(model: type[models.Model], field: str) -> None:
    """Forget a registration (for tests that register temporary fields)."""
    _registry.pop((model._meta.label_lower, field), None)


def registered() -> list[EncryptedField]:
    """Every registered encrypted field, in registration order."""
    return list(_registry.values())
