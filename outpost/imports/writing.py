"""Save checked rows as contacts, in bulk, inside the caller's transaction.

Imported contacts are history: no stock moves and no operating mode is
consulted. Everything else a contact entry keeps current is kept current
here too, set-based: the report summaries and the clients' first and last
contact dates.
"""

import datetime
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, Least

from outpost.clients.models import Client, ClientGroup
from outpost.clients.uic import UICParts, network_key
from outpost.contacts.models import Contact, ContactItem, ContactService
from outpost.contacts.summaries import add_to_summaries
from outpost.imports.columns import Catalogue
from outpost.imports.rows import ContactRow, contact_key

# Rows per round of inserts and of summary updates.
CHUNK = 5000
NOON = datetime.time(12)

T = TypeVar("T")


@dataclass
class Plan:
    """What a checked file adds: the rows not imported before and the clients not known."""

    rows: list[tuple[ContactRow, uuid.UUID]]
    already_imported: int
    new_clients: dict[str, UICParts] = field(default_factory=dict)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def make_plan(org_id: int, rows: Sequence[ContactRow]) -> Plan:
    """Key every row, leave out those already imported and find the new codes."""
    keyed = list(_with_keys(org_id, rows))
    known = _existing_keys([key for _, key in keyed])
    new_rows = [(row, key) for row, key in keyed if key not in known]
    codes = {row.parts.code: row.parts for row, _ in new_rows if row.parts is not None}
    existing = _existing_codes(org_id, list(codes))
    return Plan(
        rows=new_rows,
        already_imported=len(keyed) - len(new_rows),
        new_clients={code: parts for code, parts in codes.items() if code not in existing},
    )


def _with_keys(org_id: int, rows: Iterable[ContactRow]) -> Iterator[tuple[ContactRow, uuid.UUID]]:
    seen: dict[str, int] = {}
    for row in rows:
        content = row.content()
        seen[content] = seen.get(content, 0) + 1
        yield row, contact_key(org_id, content, seen[content])


def _existing_keys(keys: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for part in chunks(keys):
        matches = Contact.objects.filter(idempotency_key__in=part)
        found.update(key for key in matches.values_list("idempotency_key", flat=True) if key)
    return found


def _existing_codes(org_id: int, codes: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in chunks(codes):
        found.update(Client.objects.filter(org_id=org_id, code__in=part).values_list("code", "pk"))
    return found


def save_plan(
    plan: Plan, catalogue: Catalogue, worker_id: int, progress: Callable[[int], None]
) -> None:
    """Save the plan's clients and contacts; the caller holds the transaction."""
    clients = _save_clients(catalogue.org_id, plan)
    _save_groups(plan, clients)
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    done = 0
    for part in chunks(plan.rows):
        contacts = [
            _contact(row, key, clients, worker_id, catalogue.org_id, zones) for row, key in part
        ]
        Contact.objects.bulk_create(contacts)
        rows = [row for row, _ in part]
        ContactItem.objects.bulk_create(_items(rows, contacts, catalogue))
        ContactService.objects.bulk_create(_services(rows, contacts))
        add_to_summaries([contact.pk for contact in contacts])
        done += len(part)
        progress(done)
    _note_contact_dates(sorted(set(clients.values())))


def _save_clients(org_id: int, plan: Plan) -> dict[str, int]:
    """Every code of the plan's rows → its client's id, creating the new ones."""
    secret = settings.NETWORK_SECRET.encode()
    Client.objects.bulk_create(
        Client(
            org_id=org_id,
            code=code,
            mother_part=parts.mother,
            father_part=parts.father,
            sex=parts.sex,
            birth_date=parts.birth_date,
            network_key=network_key(code, secret),
        )
        for code, parts in plan.new_clients.items()
    )
    codes = sorted({row.parts.code for row, _ in plan.rows if row.parts is not None})
    return _existing_codes(org_id, codes)


def _save_groups(plan: Plan, clients: dict[str, int]) -> None:
    # A group a client is already in is left as it is.
    pairs = {
        (clients[row.parts.code], group)
        for row, _ in plan.rows
        if row.parts is not None
        for group in row.groups
    }
    ClientGroup.objects.bulk_create(
        (ClientGroup(client_id=client_id, group=group) for client_id, group in sorted(pairs)),
        batch_size=CHUNK,
        ignore_conflicts=True,
    )


def _contact(
    row: ContactRow,
    key: uuid.UUID,
    clients: dict[str, int],
    worker_id: int,
    org_id: int,
    zones: dict[str, zoneinfo.ZoneInfo],
) -> Contact:
    zone = zones.setdefault(row.site.timezone, zoneinfo.ZoneInfo(row.site.timezone))
    return Contact(
        org_id=org_id,
        site_id=row.site.pk,
        client_id=clients[row.parts.code] if row.parts is not None else None,
        channel=row.channel,
        # The file gives a day, not a time: midday keeps the day in every zone.
        occurred_at=datetime.datetime.combine(row.date, NOON, tzinfo=zone),
        date=row.date,
        worker_id=worker_id,
        syringes_returned=row.syringes_returned,
        idempotency_key=key,
    )


def _items(
    rows: Sequence[ContactRow], contacts: Sequence[Contact], catalogue: Catalogue
) -> Iterator[ContactItem]:
    """Item lines as quick entry writes them: a kit as its components, times the count."""
    for row, contact in zip(rows, contacts, strict=True):
        for thing, count in row.things:
            if thing.kind == "item":
                yield ContactItem(contact_id=contact.pk, item_id=thing.pk, quantity=count)
                continue
            for item_id, quantity in catalogue.kit_components.get(thing.pk, []):
                yield ContactItem(
                    contact_id=contact.pk,
                    item_id=item_id,
                    kit_id=thing.pk,
                    quantity=quantity * count,
                )


def _services(rows: Sequence[ContactRow], contacts: Sequence[Contact]) -> Iterator[ContactService]:
    for row, contact in zip(rows, contacts, strict=True):
        for service_id in row.service_ids:
            yield ContactService(contact_id=contact.pk, service_type_id=service_id)


def _note_contact_dates(client_ids: Sequence[int]) -> None:
    """Widen each client's first and last contact dates to their contacts' dates.

    The stored dates are kept where they are wider already, as a
    backdated entry does (contacts.actions._note_contact_dates).
    """
    dates = Contact.objects.filter(client_id=OuterRef("pk")).order_by().values("client_id")
    first = Subquery(dates.annotate(day=Min("date")).values("day"))
    last = Subquery(dates.annotate(day=Max("date")).values("day"))
    for part in chunks(client_ids):
        Client.objects.filter(pk__in=part).update(
            first_contact_date=Least(Coalesce("first_contact_date", first), first),
            last_contact_date=Greatest(Coalesce("last_contact_date", last), last),
        )
