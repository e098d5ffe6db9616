"""A fingerprint of a generated dataset, to show that a seed gives the same rows.

Ids depend on where a database's sequences stand, so every id is taken
relative to the smallest id of its table: two runs that make the same rows
in the same order get the same digest wherever their sequences started.
Summary and balance rows, which the database numbers in an order of its
own choosing, are compared without their ids. Only timestamps the
generator does not choose (when an organisation or account was created)
are left out. Meant for test scales: it reads every row into memory.
"""

import hashlib
from collections.abc import Callable

from django.db import models
from django.db.models import Min

from outpost.catalogue.models import Item, Kit, KitComponent, ServiceType
from outpost.clients.models import Client, ClientGroup
from outpost.contacts.models import Contact, ContactDay, ContactItem, ContactService, ServiceDay
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import Membership, Organisation, Site, User
from outpost.testing.models import Referral, Test

# The smallest id of a model's table.
Base = Callable[[type[models.Model]], int]

# (model, fields left out, whether its ids are the generator's)
DIGESTED: tuple[tuple[type[models.Model], frozenset[str], bool], ...] = (
    (Organisation, frozenset({"created_at"}), True),
    (Site, frozenset(), True),
    (User, frozenset({"date_joined", "last_login"}), True),
    (Membership, frozenset(), True),
    (Location, frozenset(), True),
    (Item, frozenset(), True),
    (Kit, frozenset(), True),
    (KitComponent, frozenset(), True),
    (ServiceType, frozenset(), True),
    (Client, frozenset(), True),
    (ClientGroup, frozenset(), True),
    (Contact, frozenset(), True),
    (ContactItem, frozenset(), True),
    (ContactService, frozenset(), True),
    (Test, frozenset(), True),
    (Referral, frozenset(), True),
    (StockMovement, frozenset(), True),
    (StockBalance, frozenset(), False),
    (ContactDay, frozenset(), False),
    (ServiceDay, frozenset(), False),
)


def dataset_digest() -> dict[str, str]:
    """A SHA-256 per table of every generated row."""
    lowest: dict[type[models.Model], int] = {}

    def base(model: type[models.Model]) -> int:
        if model not in lowest:
            lowest[model] = model._default_manager.aggregate(low=Min("pk"))["low"] or 0
        return lowest[model]

    return {
        model._meta.db_table: _table_digest(model, left_out, with_ids=with_ids, base=base)
        for model, left_out, with_ids in DIGESTED
    }


def _table_digest(
    model: type[models.Model],
    left_out: frozenset[str],
    *,
    with_ids: bool,
    base: Base,
) -> str:
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.name not in left_out and (with_ids or not field.primary_key)
    ]
    offsets: list[int] = []
    for field in fields:
        if field.primary_key:
            offsets.append(base(model))
        elif field.is_relation and field.related_model is not None:
            offsets.append(base(field.related_model))  # type: ignore[arg-type]  # a concrete relation names a model class
        else:
            offsets.append(0)
    rows = [
        repr(
            tuple(
                value - offset if offset and value is not None else value
                for value, offset in zip(row, offsets, strict=True)
            )
        )
        for row in model._default_manager.order_by("pk").values_list(
            *(field.attname for field in fields)
        )
    ]
    if not with_ids:
        rows.sort()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode())
        digest.update(b"\n")
    return digest.hexdigest()
