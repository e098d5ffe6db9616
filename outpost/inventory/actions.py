"""Every write to stock: receipts, dispensing, kits, adjustments and orders.

Transfers and stocktakes have modules of their own; all of them move stock
through ``inventory.ledger`` only.
"""

import datetime
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext

from outpost.catalogue.models import Item, ItemCategory, Kit
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.inventory import ledger
from outpost.inventory.errors import OutOfStock
from outpost.inventory.ledger import (
    MAX_QUANTITY,
    LineLike,
    check_expiry,
    check_quantity,
    check_same_org,
)
from outpost.inventory.models import Location, StockBalance, StockMovement, StockOrder
from outpost.orgs.models import Site, User

__all__ = ["MAX_QUANTITY", "dispense_stock", "receive_stock", "store_of"]


def create_store(*, site: Site) -> Location:
    """Give a site its own store, where receipts arrive and visits draw from."""
    location, _ = Location.objects.get_or_create(
        org_id=site.org_id,
        site=site,
        kind=Location.Kind.STORE,
        defaults={"name": site.name},
    )
    return location


def store_of(site: Site) -> Location:
    location = Location.objects.filter(site=site, kind=Location.Kind.STORE).first()
    if location is None:
        raise DomainError(gettext("%(site)s has no store for stock.") % {"site": site.name})
    return location


@transaction.atomic
def receive_stock(
    *,
    location: Location,
    item: Item,
    quantity: int,
    worker: User,
    lot: str = "",
    expires_on: datetime.date | None = None,
    supplier: str = "",
    occurred_on: datetime.date,
    order: StockOrder | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> StockMovement:
    """Add delivered stock to a location's ledger; a retried form adds it once."""
    earlier = earlier_row(StockMovement, idempotency_key, org_id=location.org_id)
    if earlier is not None:
        return earlier
    check_same_org(location, item)
    check_quantity(quantity)
    _check_usable_location(location)
    if item.category.needs_expiry and expires_on is None:
        raise DomainError(gettext("%(item)s needs an expiry date.") % {"item": item.display_name})
    check_expiry(expires_on, on=occurred_on)
    if expires_on is not None and expires_on < occurred_on:
        raise DomainError(
            gettext("This lot expired on %(date)s: expired stock cannot go on the shelf.")
            % {"date": expires_on.isoformat()}
        )
    if order is not None:
        _count_against_order(order, location=location, item=item, quantity=quantity)
    movement = ledger.post(
        location=location,
        item=item,
        lot=lot,
        expires_on=expires_on,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        occurred_on=occurred_on,
        worker=worker,
        supplier=supplier,
        idempotency_key=idempotency_key,
    )
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.received", target=movement)
    return movement


def dispense_stock(
    *,
    location: Location,
    lines: Sequence[LineLike],
    worker: User,
    occurred_on: datetime.date,
    contact_id: int | None = None,
) -> list[StockMovement]:
    """Take what a contact handed out from a location, first to expire first.

    Must run inside the caller's transaction: it raises OutOfStock naming
    the item, and then nothing of the entry may be saved.
    """
    taken = ledger.take(location=location, lines=lines, on=occurred_on)
    return ledger.write_taken(
        taken,
        location=location,
        kind=StockMovement.Kind.DISPENSE,
        occurred_on=occurred_on,
        worker=worker,
        contact_id=contact_id,
    )


def usable_kits(location: Location, kits: Sequence[Kit], *, on: datetime.date) -> dict[int, int]:
    """Assembled kits a location can hand out, per kit id."""
    stock_items = {kit.stock_item_id: kit.pk for kit in kits if kit.stock_item_id}
    balances = (
        StockBalance.objects.filter(location=location, item_id__in=stock_items)
        .exclude(expires_on__lt=on)
        .on_hand_by_item()
    )
    return {stock_items[item_id]: total for item_id, total in balances.items()}


@transaction.atomic
def assemble_kits(
    *,
    location: Location,
    kit: Kit,
    count: int,
    worker: User,
    occurred_on: datetime.date,
    idempotency_key: uuid.UUID | None = None,
) -> StockMovement:
    """Pack ``count`` kits from loose components: components out, kits in.

    A kit expires when its first component does, so a kit lot is named by
    that date. A retried form packs once: the kits-in movement keeps the key.
    """
    earlier = earlier_row(StockMovement, idempotency_key, org_id=location.org_id)
    if earlier is not None:
        return earlier
    check_quantity(count)
    _check_usable_location(location)
    kit = Kit.objects.select_for_update().get(pk=kit.pk, org_id=location.org_id)
    components = list(kit.components.select_related("item"))
    if not components:
        raise DomainError(gettext("%(kit)s has no components.") % {"kit": kit.display_name})
    try:
        taken = ledger.take(
            location=location,
            lines=[(c.item, c.quantity * count) for c in components],
            on=occurred_on,
        )
    except OutOfStock as short:
        raise DomainError(
            gettext(
                "Not enough %(item)s to pack %(count)d × %(kit)s: "
                "%(needed)d needed, %(on_hand)d usable on hand."
            )
            % {
                "item": short.item_name,
                "count": count,
                "kit": kit.display_name,
                "needed": short.requested,
                "on_hand": short.on_hand,
            }
        ) from short
    ledger.write_taken(
        taken,
        location=location,
        kind=StockMovement.Kind.ASSEMBLY_OUT,
        occurred_on=occurred_on,
        worker=worker,
    )
    expiries = [part.expires_on for part in taken if part.expires_on is not None]
    expires_on = min(expiries) if expiries else None
    movement = ledger.post(
        location=location,
        item=_stock_item_of(kit),
        lot=expires_on.isoformat() if expires_on else "",
        expires_on=expires_on,
        kind=StockMovement.Kind.ASSEMBLY_IN,
        quantity=count,
        occurred_on=occurred_on,
        worker=worker,
        idempotency_key=idempotency_key,
    )
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.kits_assembled", target=movement)
    return movement


@transaction.atomic
def adjust_stock(
    *,
    location: Location,
    item: Item,
    lot: str,
    quantity: int,
    reason: str,
    worker: User,
    occurred_on: datetime.date,
    note: str = "",
    expires_on: datetime.date | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> StockMovement:
    """Correct one lot's balance by ``quantity`` (signed), always with a reason."""
    earlier = earlier_row(StockMovement, idempotency_key, org_id=location.org_id)
    if earlier is not None:
        return earlier
    check_same_org(location, item)
    check_quantity(abs(quantity))
    if reason not in StockMovement.Reason.values:
        raise DomainError(gettext("Choose the reason for the adjustment."))
    check_expiry(expires_on, on=occurred_on)
    if quantity > 0 and expires_on is None:
        expires_on = _known_expiry(location, item, lot)
        if item.category.needs_expiry and expires_on is None:
            raise DomainError(
                gettext("%(item)s needs an expiry date.") % {"item": item.display_name}
            )
    movement = ledger.post(
        location=location,
        item=item,
        lot=lot,
        expires_on=expires_on,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=quantity,
        occurred_on=occurred_on,
        worker=worker,
        reason=reason,
        note=note,
        idempotency_key=idempotency_key,
    )
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.adjusted", target=movement)
    return movement


@transaction.atomic
def write_off_expired(
    *, location: Location, worker: User, occurred_on: datetime.date
) -> list[StockMovement]:
    """Take every lot that expired before ``occurred_on`` off the shelf."""
    expired = StockBalance.objects.filter(
        location=location, quantity__gt=0, expires_on__lt=occurred_on
    ).select_related("item")
    movements = [
        ledger.post(
            location=location,
            item=balance.item,
            lot=balance.lot,
            expires_on=balance.expires_on,
            kind=StockMovement.Kind.ADJUSTMENT,
            quantity=-balance.quantity,
            occurred_on=occurred_on,
            worker=worker,
            reason=StockMovement.Reason.EXPIRY,
        )
        for balance in expired
    ]
    for movement in movements:
        audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.adjusted", target=movement)
    return movements


@transaction.atomic
def place_order(
    *,
    location: Location,
    item: Item,
    quantity: int,
    worker: User,
    ordered_on: datetime.date,
    expected_on: datetime.date | None = None,
    supplier: str = "",
    idempotency_key: uuid.UUID | None = None,
) -> StockOrder:
    """Note stock ordered for a location, so forecasts count it as on order."""
    earlier = earlier_row(StockOrder, idempotency_key, org_id=location.org_id)
    if earlier is not None:
        return earlier
    check_same_org(location, item)
    check_quantity(quantity)
    _check_usable_location(location)
    if expected_on is not None and expected_on < ordered_on:
        raise DomainError(gettext("An order cannot be expected before it is placed."))
    order = save_once(
        StockOrder(
            org_id=location.org_id,
            location=location,
            item=item,
            quantity=quantity,
            ordered_on=ordered_on,
            expected_on=expected_on,
            supplier=supplier,
            ordered_by=worker,
            idempotency_key=idempotency_key,
        )
    )
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.ordered", target=order)
    return order


@transaction.atomic
def cancel_order(*, order: StockOrder, worker: User) -> None:
    locked = StockOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != StockOrder.Status.OPEN:
        raise DomainError(gettext("This order is no longer open."))
    locked.status = StockOrder.Status.CANCELLED
    locked.save(update_fields=["status"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="stock.order_cancelled", target=locked)


def _count_against_order(
    order: StockOrder, *, location: Location, item: Item, quantity: int
) -> None:
    locked = StockOrder.objects.select_for_update().get(pk=order.pk)
    if locked.location_id != location.pk or locked.item_id != item.pk:
        raise DomainError(gettext("That order is for another item or place."))
    if locked.status != StockOrder.Status.OPEN:
        raise DomainError(gettext("This order is no longer open."))
    locked.received_quantity += quantity
    if locked.received_quantity >= locked.quantity:
        locked.status = StockOrder.Status.RECEIVED
    locked.save(update_fields=["received_quantity", "status"])


def _check_usable_location(location: Location) -> None:
    if not location.is_active:
        raise DomainError(gettext("%(place)s is no longer in use.") % {"place": location.name})


def _known_expiry(location: Location, item: Item, lot: str) -> datetime.date | None:
    return (
        StockBalance.objects.filter(location=location, item=item, lot=lot)
        .values_list("expires_on", flat=True)
        .first()
    )


def _stock_item_of(kit: Kit) -> Item:
    """The item assembled kits are stocked as; made at the first assembly."""
    if kit.stock_item_id is not None:
        return Item.objects.get(pk=kit.stock_item_id)
    if Item.objects.filter(org_id=kit.org_id, name__iexact=kit.name).exists():
        raise DomainError(
            gettext("An item is already called %(kit)s; rename the kit or the item.")
            % {"kit": kit.display_name}
        )
    item = Item.objects.create(
        org_id=kit.org_id, category=ItemCategory.objects.get(code="kit"), name=kit.name
    )
    kit.stock_item = item
    kit.save(update_fields=["stock_item"])
    return item
