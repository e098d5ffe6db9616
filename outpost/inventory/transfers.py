"""Stock sent between two locations: it leaves one, travels, arrives at the other.

What arrives is counted on receipt; a difference from what was sent stays
on the transfer line, so losses on the way show in the reports.
"""

import datetime
import uuid
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext

from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.inventory import ledger
from outpost.inventory.ledger import LineLike
from outpost.inventory.models import Location, StockMovement, Transfer, TransferLine
from outpost.orgs.models import User


@transaction.atomic
def send_transfer(
    *,
    source: Location,
    destination: Location,
    lines: Sequence[LineLike],
    worker: User,
    occurred_on: datetime.date,
    note: str = "",
    received_now: bool = False,
    idempotency_key: uuid.UUID | None = None,
) -> Transfer:
    """Send stock; with ``received_now`` it also arrives, as when loading a bus."""
    earlier = earlier_row(Transfer, idempotency_key, org_id=source.org_id)
    if earlier is not None:
        return earlier
    _check_places(source, destination)
    if not lines:
        raise DomainError(gettext("Add at least one item to send."))
    transfer = save_once(
        Transfer(
            org_id=source.org_id,
            source=source,
            destination=destination,
            sent_on=occurred_on,
            sent_by=worker,
            note=note,
            idempotency_key=idempotency_key,
        )
    )
    taken = ledger.take(location=source, lines=lines, on=occurred_on)
    ledger.write_taken(
        taken,
        location=source,
        kind=StockMovement.Kind.TRANSFER_OUT,
        occurred_on=occurred_on,
        worker=worker,
        transfer=transfer,
    )
    TransferLine.objects.bulk_create(
        TransferLine(
            transfer=transfer,
            item=part.item,
            lot=part.lot,
            expires_on=part.expires_on,
            sent=part.quantity,
        )
        for part in taken
    )
    audit(actor_id=worker.pk, org_id=source.org_id, verb="stock.transfer_sent", target=transfer)
    if received_now:
        return receive_transfer(transfer=transfer, worker=worker, occurred_on=occurred_on)
    return transfer


@transaction.atomic
def receive_transfer(
    *,
    transfer: Transfer,
    worker: User,
    occurred_on: datetime.date,
    received: Mapping[int, int] | None = None,
) -> Transfer:
    """Book what arrived, per line id; lines not named arrived as sent."""
    locked = Transfer.objects.select_for_update().select_related("destination").get(pk=transfer.pk)
    if locked.status != Transfer.Status.IN_TRANSIT:
        raise DomainError(gettext("This transfer was already received."))
    if occurred_on < locked.sent_on:
        raise DomainError(gettext("Stock cannot arrive before it was sent."))
    lines = list(locked.lines.select_related("item"))
    counts = {line.pk: (received or {}).get(line.pk, line.sent) for line in lines}
    for line in lines:
        _check_arrived(line, counts[line.pk])
    for line in lines:
        line.received = counts[line.pk]
        if line.received:
            ledger.post(
                location=locked.destination,
                item=line.item,
                lot=line.lot,
                expires_on=line.expires_on,
                kind=StockMovement.Kind.TRANSFER_IN,
                quantity=line.received,
                occurred_on=occurred_on,
                worker=worker,
                transfer=locked,
            )
    TransferLine.objects.bulk_update(lines, ["received"])
    locked.status = Transfer.Status.RECEIVED
    locked.received_on = occurred_on
    locked.received_by = worker
    locked.save(update_fields=["status", "received_on", "received_by"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="stock.transfer_received", target=locked)
    return locked


def _check_places(source: Location, destination: Location) -> None:
    if source.org_id != destination.org_id:
        raise DomainError(gettext("Both places must belong to your organisation."))
    if source.pk == destination.pk:
        raise DomainError(gettext("Choose a place to send to other than the one it leaves."))
    for place in (source, destination):
        if not place.is_active:
            raise DomainError(gettext("%(place)s is no longer in use.") % {"place": place.name})


def _check_arrived(line: TransferLine, count: int) -> None:
    if not 0 <= count <= line.sent:
        raise DomainError(
            gettext("Between 0 and %(sent)d of %(item)s can arrive.")
            % {"sent": line.sent, "item": line.item.display_name}
        )
