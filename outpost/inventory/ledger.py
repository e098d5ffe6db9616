"""The two ways stock moves in the ledger (SPEC §5), inside the caller's transaction.

``post`` adds or takes units of one known lot; ``take`` takes units of an
item from whichever lots may be used, the one that expires first first.
Both write the movement and the balance together and lock the balance row,
so a balance is always the sum of its movements and never below zero.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from django.db.models import F, Sum
from django.utils.translation import gettext

from outpost.catalogue.models import Item
from outpost.core.errors import DomainError
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import User

MAX_QUANTITY = 100_000
LONGEST_SHELF_LIFE = datetime.timedelta(days=15 * 365)


@dataclass(frozen=True)
class Line:
    """Units of an item to take; ``lot`` picks one, else the first to expire."""

    item: Item
    quantity: int
    lot: str | None = None


LineLike: TypeAlias = Line | tuple[Item, int] | tuple[Item, int, str]


def as_line(line: LineLike) -> Line:
    return line if isinstance(line, Line) else Line(*line)


@dataclass(frozen=True)
class Taken:
    """Units taken from one lot."""

    item: Item
    lot: str
    expires_on: datetime.date | None
    quantity: int


def check_quantity(quantity: int) -> None:
    if not 0 < quantity <= MAX_QUANTITY:
        raise DomainError(
            gettext("A quantity must be between 1 and %(max)d.") % {"max": MAX_QUANTITY}
        )


def check_expiry(expires_on: datetime.date | None, *, on: datetime.date) -> None:
    """Refuse a date no lot can have: a typing slip such as 9999 would stay forever."""
    if expires_on is not None and expires_on > on + LONGEST_SHELF_LIFE:
        raise DomainError(
            gettext("An expiry date more than %(years)d years ahead is not possible.")
            % {"years": LONGEST_SHELF_LIFE.days // 365}
        )


def check_same_org(location: Location, item: Item) -> None:
    if location.org_id != item.org_id:
        raise DomainError(gettext("That item is not in this organisation's catalogue."))


def post(
    *,
    location: Location,
    item: Item,
    lot: str,
    expires_on: datetime.date | None,
    kind: str,
    quantity: int,
    occurred_on: datetime.date,
    worker: User,
    **fields: object,
) -> StockMovement:
    """Move one lot's balance by ``quantity`` (signed) and record why."""
    if quantity > 0:
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
    else:
        balance = (
            StockBalance.objects.select_for_update()
            .filter(location=location, item=item, lot=lot)
            .first()
        ) or StockBalance(location=location, item=item, lot=lot, quantity=0)
        if balance.quantity + quantity < 0:
            raise OutOfStock(
                item_name=_lot_name(item, lot), on_hand=balance.quantity, requested=-quantity
            )
        expires_on = balance.expires_on
    StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + quantity)
    return StockMovement.objects.create(
        org_id=location.org_id,
        location=location,
        item=item,
        lot=lot,
        expires_on=expires_on,
        kind=kind,
        quantity=quantity,
        occurred_on=occurred_on,
        recorded_by=worker,
        **fields,
    )


def take(*, location: Location, lines: Sequence[LineLike], on: datetime.date) -> list[Taken]:
    """Take units from the usable lots of ``location``; raise if any is short.

    The balance rows of every item are locked in one query, in one order
    (item, then expiry), so two entries never deadlock; a lot expired on
    ``on`` is never taken. The caller writes the movements.
    """
    wanted = [as_line(line) for line in lines]
    for line in wanted:
        check_same_org(location, line.item)
        check_quantity(line.quantity)
    usable = (
        StockBalance.objects.select_for_update()
        .filter(location=location, item_id__in=[line.item.pk for line in wanted], quantity__gt=0)
        .exclude(expires_on__lt=on)
        .order_by("item_id", F("expires_on").asc(nulls_last=True), "pk")
    )
    by_item: dict[int, list[StockBalance]] = {}
    for balance in usable:
        by_item.setdefault(balance.item_id, []).append(balance)
    taken: list[Taken] = []
    touched: dict[int, StockBalance] = {}
    for line in wanted:
        lots = [b for b in by_item.get(line.item.pk, []) if line.lot in (None, b.lot)]
        on_hand = sum(balance.quantity for balance in lots)
        if line.quantity > on_hand:
            _refuse_short(location, line, on_hand, on)
        remaining = line.quantity
        for balance in lots:
            share = min(remaining, balance.quantity)
            if share == 0:
                continue
            # The row is locked, so writing the new value back is safe.
            balance.quantity -= share
            touched[balance.pk] = balance
            taken.append(Taken(line.item, balance.lot, balance.expires_on, share))
            remaining -= share
    StockBalance.objects.bulk_update(touched.values(), ["quantity"])
    return taken


def write_taken(
    taken: Sequence[Taken],
    *,
    location: Location,
    kind: str,
    occurred_on: datetime.date,
    worker: User,
    **fields: object,
) -> list[StockMovement]:
    return StockMovement.objects.bulk_create(
        StockMovement(
            org_id=location.org_id,
            location=location,
            item=part.item,
            lot=part.lot,
            expires_on=part.expires_on,
            kind=kind,
            quantity=-part.quantity,
            occurred_on=occurred_on,
            recorded_by=worker,
            **fields,
        )
        for part in taken
    )


def _refuse_short(location: Location, line: Line, on_hand: int, on: datetime.date) -> None:
    expired_lots = StockBalance.objects.filter(
        location=location, item=line.item, quantity__gt=0, expires_on__lt=on
    )
    if line.lot is not None:
        expired_lots = expired_lots.filter(lot=line.lot)
    expired = expired_lots.aggregate(total=Sum("quantity"))["total"] or 0
    name = line.item.display_name if line.lot is None else _lot_name(line.item, line.lot)
    raise OutOfStock(item_name=name, on_hand=on_hand, requested=line.quantity, expired=expired)


def _lot_name(item: Item, lot: str) -> str:
    if not lot:
        return item.display_name
    return gettext("%(item)s (lot %(lot)s)") % {"item": item.display_name, "lot": lot}
