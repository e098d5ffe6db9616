import datetime
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from outpost.catalogue.models import Item
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import Site, User

MAX_QUANTITY = 100_000


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
    idempotency_key: uuid.UUID | None = None,
) -> StockMovement:
    """Add delivered stock to a location's ledger; a retried form adds it once."""
    earlier = earlier_row(StockMovement, idempotency_key, org_id=location.org_id)
    if earlier is not None:
        return earlier
    _check_same_org(location, item)
    _check_quantity(quantity)
    if item.category.needs_expiry and expires_on is None:
        raise DomainError(gettext("%(item)s needs an expiry date.") % {"item": item.display_name})
    balance, _ = StockBalance.objects.select_for_update().get_or_create(
        location=location, item=item, lot=lot, defaults={"expires_on": expires_on}
    )
    if balance.expires_on != expires_on:
        # One lot has one expiry; merging two would hide the earlier date.
        raise DomainError(
            gettext(
                "Lot “%(lot)s” of %(item)s already expires on %(date)s. "
                "Give stock with another expiry date its own lot number."
            )
            % {"lot": lot, "item": item.display_name, "date": balance.expires_on or "—"}
        )
    movement = StockMovement(
        org_id=location.org_id,
        location=location,
        item=item,
        lot=lot,
        expires_on=expires_on,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        occurred_on=occurred_on,
        supplier=supplier,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(movement)
    if saved is not movement:
        return saved
    StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + quantity)
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.received", target=movement)
    return movement


def dispense_stock(
    *,
    location: Location,
    lines: Sequence[tuple[Item, int]],
    worker: User,
    occurred_on: datetime.date,
    contact_id: int | None = None,
) -> list[StockMovement]:
    """Take items out of a location, the lot that expires first first.

    Must run inside the caller's transaction. The balance rows of every item
    are locked in one query, in one order (item, then expiry), so two visits
    never deadlock; expired lots are never taken. Raises OutOfStock naming
    the item, and then nothing of the entry may be saved, which the caller's
    transaction guarantees.
    """
    for item, quantity in lines:
        _check_same_org(location, item)
        _check_quantity(quantity)
    usable = (
        StockBalance.objects.select_for_update()
        .filter(location=location, item_id__in=[item.pk for item, _ in lines], quantity__gt=0)
        .exclude(expires_on__lt=occurred_on)
        .order_by("item_id", F("expires_on").asc(nulls_last=True), "pk")
    )
    balances_by_item: dict[int, list[StockBalance]] = {}
    for balance in usable:
        balances_by_item.setdefault(balance.item_id, []).append(balance)
    movements: list[StockMovement] = []
    touched: list[StockBalance] = []
    for item, quantity in sorted(lines, key=lambda line: line[0].pk):
        balances = balances_by_item.get(item.pk, [])
        on_hand = sum(balance.quantity for balance in balances)
        if quantity > on_hand:
            raise OutOfStock(item_name=item.display_name, on_hand=on_hand, requested=quantity)
        remaining = quantity
        for balance in balances:
            if remaining == 0:
                break
            taken = min(remaining, balance.quantity)
            # The row is locked, so writing the new value back is safe.
            balance.quantity -= taken
            touched.append(balance)
            movements.append(
                StockMovement(
                    org_id=location.org_id,
                    location=location,
                    item=item,
                    lot=balance.lot,
                    expires_on=balance.expires_on,
                    kind=StockMovement.Kind.DISPENSE,
                    quantity=-taken,
                    occurred_on=occurred_on,
                    contact_id=contact_id,
                    recorded_by=worker,
                )
            )
            remaining -= taken
    StockBalance.objects.bulk_update(touched, ["quantity"])
    return StockMovement.objects.bulk_create(movements)


def _check_quantity(quantity: int) -> None:
    if not 0 < quantity <= MAX_QUANTITY:
        raise DomainError(
            gettext("A quantity must be between 1 and %(max)d.") % {"max": MAX_QUANTITY}
        )


def _check_same_org(location: Location, item: Item) -> None:
    if location.org_id != item.org_id:
        raise DomainError(gettext("That item is not in this organisation's catalogue."))
