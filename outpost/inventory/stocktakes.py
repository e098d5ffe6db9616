"""Counting a location: a sheet of what the ledger expects, then the differences.

The sheet keeps the balances of the moment the count started; a difference
is what was counted less that figure, so entries made while the count goes
on are kept and not counted twice. Applying the sheet turns every
difference into an adjustment in one transaction.
"""

import datetime
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext

from outpost.catalogue.models import Item
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.inventory import ledger
from outpost.inventory.ledger import MAX_QUANTITY, check_expiry, check_same_org
from outpost.inventory.models import (
    Location,
    StockBalance,
    StockMovement,
    Stocktake,
    StocktakeLine,
)
from outpost.orgs.models import User


@transaction.atomic
def start_count(*, location: Location, worker: User) -> Stocktake:
    """Open the count sheet of ``location``, or the one ``worker`` already has open."""
    current = Stocktake.objects.filter(location=location, status=Stocktake.Status.COUNTING).first()
    if current is not None:
        _check_counter(current, worker)
        return current
    try:
        with transaction.atomic():
            stocktake = Stocktake.objects.create(
                org_id=location.org_id, location=location, started_by=worker
            )
    except IntegrityError:
        # Someone opened a sheet of this location a moment ago.
        current = Stocktake.objects.get(location=location, status=Stocktake.Status.COUNTING)
        _check_counter(current, worker)
        return current
    StocktakeLine.objects.bulk_create(_sheet_lines(stocktake))
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.count_started", target=stocktake)
    return stocktake


@transaction.atomic
def save_counts(
    *, stocktake: Stocktake, worker: User, counts: Mapping[int, int | None]
) -> Stocktake:
    """Keep the figures counted so far, per line id; the sheet stays open."""
    locked = _open_sheet(stocktake, worker)
    lines = {line.pk: line for line in locked.lines.all()}
    for line_id, counted in counts.items():
        if line_id not in lines:
            raise DomainError(gettext("That line is not on this count sheet."))
        if counted is not None:
            _check_count(counted)
        lines[line_id].counted = counted
    StocktakeLine.objects.bulk_update(lines.values(), ["counted"])
    return locked


@transaction.atomic
def add_count_line(
    *,
    stocktake: Stocktake,
    worker: User,
    item: Item,
    lot: str,
    expires_on: datetime.date | None,
    counted: int,
) -> StocktakeLine:
    """Add stock found that the sheet does not list, such as a lot never booked."""
    locked = _open_sheet(stocktake, worker)
    check_same_org(locked.location, item)
    if item.category.needs_expiry and expires_on is None:
        raise DomainError(gettext("%(item)s needs an expiry date.") % {"item": item.display_name})
    check_expiry(expires_on, on=locked.location.local_today())
    if locked.lines.filter(item=item, lot=lot).exists():
        raise DomainError(gettext("That item and lot are already on the sheet."))
    if not 0 <= counted <= MAX_QUANTITY:
        raise DomainError(
            gettext("A count must be between 0 and %(max)d.") % {"max": MAX_QUANTITY}
        )
    balance = StockBalance.objects.filter(location=locked.location, item=item, lot=lot).first()
    return StocktakeLine.objects.create(
        stocktake=locked,
        item=item,
        lot=lot,
        expires_on=balance.expires_on if balance else expires_on,
        expected=balance.quantity if balance else 0,
        counted=counted,
    )


@transaction.atomic
def apply_count(*, stocktake: Stocktake, worker: User, occurred_on: datetime.date) -> Stocktake:
    """Turn every difference on the sheet into an adjustment and close it."""
    locked = _open_sheet(stocktake, worker)
    lines = list(locked.lines.select_related("item"))
    missing = [line for line in lines if line.counted is None]
    if missing:
        raise DomainError(
            gettext("%(count)d lines are not counted yet, starting with %(item)s.")
            % {"count": len(missing), "item": missing[0].item.display_name}
        )
    for line in lines:
        difference = line.difference
        if difference:
            try:
                ledger.post(
                    location=locked.location,
                    item=line.item,
                    lot=line.lot,
                    expires_on=line.expires_on,
                    kind=StockMovement.Kind.ADJUSTMENT,
                    quantity=difference,
                    occurred_on=occurred_on,
                    worker=worker,
                    reason=StockMovement.Reason.STOCKTAKE,
                    stocktake=locked,
                )
            except DomainError as error:
                raise DomainError(
                    gettext("%(item)s moved while it was being counted; count it again. (%(why)s)")
                    % {"item": line.item.display_name, "why": error.message}
                ) from error
    locked.status = Stocktake.Status.APPLIED
    locked.closed_by = worker
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_by", "closed_at"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="stock.count_applied", target=locked)
    return locked


@transaction.atomic
def cancel_count(*, stocktake: Stocktake, worker: User, may_cancel_others: bool = False) -> None:
    """Drop a sheet without changing stock; a manager may drop someone else's."""
    locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    if locked.status != Stocktake.Status.COUNTING:
        raise DomainError(gettext("This count is already closed."))
    if not may_cancel_others:
        _check_counter(locked, worker)
    locked.status = Stocktake.Status.CANCELLED
    locked.closed_by = worker
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_by", "closed_at"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="stock.count_cancelled", target=locked)


def _sheet_lines(stocktake: Stocktake) -> list[StocktakeLine]:
    balances = StockBalance.objects.filter(location=stocktake.location, quantity__gt=0)
    lines = [
        StocktakeLine(
            stocktake=stocktake,
            item_id=balance.item_id,
            lot=balance.lot,
            expires_on=balance.expires_on,
            expected=balance.quantity,
        )
        for balance in balances
    ]
    held = {balance.item_id for balance in balances}
    # Items the location has none of, so that found stock has a line.
    empty = Item.objects.filter(org_id=stocktake.org_id, is_active=True).exclude(pk__in=held)
    lines.extend(
        StocktakeLine(stocktake=stocktake, item=item, lot="", expected=0)
        for item in empty.exclude(category__needs_expiry=True)
    )
    return lines


def _open_sheet(stocktake: Stocktake, worker: User) -> Stocktake:
    locked = Stocktake.objects.select_for_update().select_related("location").get(pk=stocktake.pk)
    if locked.status != Stocktake.Status.COUNTING:
        raise DomainError(gettext("This count is already closed."))
    _check_counter(locked, worker)
    return locked


def _check_counter(stocktake: Stocktake, worker: User) -> None:
    if stocktake.started_by_id != worker.pk:
        raise DomainError(
            gettext("%(name)s has been counting %(place)s since %(time)s.")
            % {
                "name": stocktake.started_by.get_username(),
                "place": stocktake.location.name,
                "time": time_format(timezone.localtime(stocktake.started_at)),
            }
        )


def _check_count(counted: int) -> None:
    if not 0 <= counted <= MAX_QUANTITY:
        raise DomainError(
            gettext("A count must be between 0 and %(max)d.") % {"max": MAX_QUANTITY}
        )
