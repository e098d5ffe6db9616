"""Retried requests record once.

A form carries a key made when it was shown; the row it creates keeps the
key in a unique column. A retry (a double tap, a reply lost on a bad
network) finds the row the first attempt made, and two retries racing each
other meet at the unique constraint.
"""

import uuid
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext

from outpost.core.errors import DomainError

Row = TypeVar("Row", bound=models.Model)


def earlier_row(model: type[Row], key: uuid.UUID | None, *, org_id: int) -> Row | None:
    """The row an earlier request with ``key`` made, if any.

    A key from another organisation is refused rather than answered with
    that organisation's row.
    """
    if key is None:
        return None
    earlier = model._default_manager.filter(idempotency_key=key).first()
    if earlier is not None and getattr(earlier, "org_id", None) != org_id:
        raise DomainError(gettext("This form was already used. Reload the page and try again."))
    return earlier


def save_once(row: Row) -> Row:
    """Save ``row``, or return the row a racing retry with its key saved first."""
    key = getattr(row, "idempotency_key", None)
    if key is None:
        row.save()
        return row
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        winner = earlier_row(type(row), key, org_id=getattr(row, "org_id", 0))
        if winner is None:
            raise
        return winner
    return row
