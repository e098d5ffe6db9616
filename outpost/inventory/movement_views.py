"""Pages that move stock by hand: transfers, kits, adjustments and counts.

Each page only parses the form and calls one action; a refusal from the
action is shown with its own message, status 422, and nothing saved.
"""

import datetime
from collections.abc import Sequence

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outpost.catalogue.models import Item, Kit, KitComponent
from outpost.core.errors import DomainError
from outpost.core.pages import form_page
from outpost.core.roles import Perm, role_can
from outpost.inventory.access import get_location_for_user
from outpost.inventory.actions import adjust_stock, assemble_kits, write_off_expired
from outpost.inventory.forms import (
    AdjustmentForm,
    AssemblyForm,
    CountLineForm,
    CountSheetForm,
    TransferForm,
    TransferReceiptForm,
)
from outpost.inventory.ledger import check_quantity
from outpost.inventory.models import (
    Location,
    StockBalance,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from outpost.inventory.stocktakes import (
    add_count_line,
    apply_count,
    cancel_count,
    save_counts,
    start_count,
)
from outpost.inventory.transfers import receive_transfer, send_transfer
from outpost.orgs.access import AuthedRequest, requires

RECENT_TRANSFERS = 30
COUNT_HISTORY = 50


def _location_url(location: Location) -> str:
    return reverse("inventory:location", args=[location.pk])


def _usable_lots(location: Location, today: datetime.date) -> QuerySet[StockBalance]:
    """Lots that may still leave the location, the first to expire first."""
    return (
        StockBalance.objects.filter(location=location, quantity__gt=0)
        .exclude(expires_on__lt=today)
        .select_related("item__category")
        .order_by(
            "item__category__code", "item__name", F("expires_on").asc(nulls_last=True), "lot"
        )
    )


def _by_item(balances: Sequence[StockBalance]) -> list[tuple[Item, list[StockBalance]]]:
    grouped: dict[int, tuple[Item, list[StockBalance]]] = {}
    for balance in balances:
        grouped.setdefault(balance.item_id, (balance.item, []))[1].append(balance)
    return list(grouped.values())


# Transfers


@requires(Perm.MOVE_STOCK)
def transfer_new(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Send several items at once from this location to another."""
    source = get_location_for_user(request, location_id)
    today = source.local_today()
    destinations = list(
        Location.objects.active().filter(org_id=source.org_id).exclude(pk=source.pk)
    )
    form = TransferForm(
        request.POST or None,
        source=source,
        destinations=destinations,
        stock=_by_item(list(_usable_lots(source, today))),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = send_transfer(
                source=source,
                destination=data["destination"],
                lines=form.lines(),
                worker=request.user,
                occurred_on=today,
                note=data["note"],
                received_now=data["received_now"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            values = {"place": transfer.destination.name}
            if transfer.status == Transfer.Status.RECEIVED:
                messages.success(request, _("Stock moved to %(place)s.") % values)
            else:
                messages.success(request, _("Stock sent to %(place)s.") % values)
            return redirect("inventory:transfers")
    context = {
        "location": source,
        "site": source.site,
        "form": form,
        "destinations": destinations,
    }
    return form_page(request, "inventory/transfer_form.html", context)


def _transfers(request: AuthedRequest) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(org_id=request.membership.org_id)
        .select_related("source", "destination", "sent_by", "received_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=TransferLine.objects.select_related("item").order_by(
                    "item__name", "expires_on", "lot"
                ),
            )
        )
    )


@requires(Perm.VIEW_STOCK)
def transfers(request: AuthedRequest) -> HttpResponse:
    """Stock on its way between places, and what arrived lately."""
    all_transfers = _transfers(request)
    in_transit = all_transfers.filter(status=Transfer.Status.IN_TRANSIT).order_by("sent_on", "pk")
    received = list(
        all_transfers.filter(status=Transfer.Status.RECEIVED).order_by("-received_on", "-pk")[
            :RECENT_TRANSFERS
        ]
    )
    context = {
        "in_transit": list(in_transit),
        "received": received,
        "site": request.membership.site,
    }
    return TemplateResponse(request, "inventory/transfer_list.html", context)


@requires(Perm.MOVE_STOCK)
def transfer_receive(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    """Count what arrived of a transfer; afterwards, the difference from what was sent."""
    transfer = get_object_or_404(_transfers(request), pk=transfer_id)
    destination = transfer.destination
    lines = list(transfer.lines.all())
    form = TransferReceiptForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            receive_transfer(
                transfer=transfer,
                worker=request.user,
                occurred_on=destination.local_today(),
                received=form.received(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            missing = sum(line.sent - count for line, count in _arrived(lines, form.received()))
            if missing:
                messages.success(
                    request,
                    ngettext(
                        "Received; %(count)d unit less arrived than was sent.",
                        "Received; %(count)d units less arrived than were sent.",
                        missing,
                    )
                    % {"count": missing},
                )
            else:
                messages.success(request, _("Received; everything sent arrived."))
            return redirect("inventory:transfer_receive", transfer_id=transfer.pk)
    context = {
        "transfer": transfer,
        "location": destination,
        "site": destination.site,
        "form": form,
        "is_open": transfer.status == Transfer.Status.IN_TRANSIT,
    }
    return form_page(request, "inventory/transfer_receive.html", context)


def _arrived(
    lines: Sequence[TransferLine], received: dict[int, int]
) -> list[tuple[TransferLine, int]]:
    return [(line, received[line.pk]) for line in lines]


# Kits


@requires(Perm.MOVE_STOCK)
def assemble(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Pack kits ahead from loose components at this location."""
    location = get_location_for_user(request, location_id)
    today = location.local_today()
    form = AssemblyForm(request.POST or None, org_id=location.org_id)
    if request.method == "POST" and form.is_valid():
        kit, count = form.cleaned_data["kit"], form.cleaned_data["count"]
        try:
            assemble_kits(
                location=location,
                kit=kit,
                count=count,
                worker=request.user,
                occurred_on=today,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Packed %(count)d × %(kit)s.") % {"count": count, "kit": kit.display_name},
            )
            return redirect(_location_url(location))
    context = {
        "location": location,
        "site": location.site,
        "form": form,
        "kits": _kit_needs(location, today),
    }
    return form_page(request, "inventory/kit_assemble.html", context)


def _kit_needs(location: Location, today: datetime.date) -> list[dict[str, object]]:
    """Each kit with what one takes, what is on hand, and how many can be packed."""
    kits = Kit.objects.filter(org_id=location.org_id, is_active=True).prefetch_related(
        Prefetch("components", queryset=KitComponent.objects.select_related("item"))
    )
    on_hand = (
        StockBalance.objects.filter(location=location)
        .exclude(expires_on__lt=today)
        .on_hand_by_item()
    )
    rows: list[dict[str, object]] = []
    for kit in kits:
        components = [
            {"item": c.item, "quantity": c.quantity, "on_hand": on_hand.get(c.item_id, 0)}
            for c in kit.components.all()
        ]
        can_pack = min(
            (on_hand.get(c.item_id, 0) // c.quantity for c in kit.components.all()), default=0
        )
        rows.append({"kit": kit, "components": components, "can_pack": can_pack})
    return rows


# Adjustments and write-offs


@requires(Perm.MANAGE_STOCK)
def adjust(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Correct one lot by hand (loss, damage, found stock), always with a reason."""
    location = get_location_for_user(request, location_id)
    today = location.local_today()
    balances = {
        str(balance.pk): balance
        for balance in StockBalance.objects.filter(location=location, quantity__gt=0)
        .select_related("item")
        .order_by("item__name", F("expires_on").asc(nulls_last=True), "lot")
    }
    form = AdjustmentForm(
        request.POST or None,
        org_id=location.org_id,
        lots={key: _balance_label(balance, today) for key, balance in balances.items()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["stock"] == AdjustmentForm.NEW_LOT:
            item, lot, expires_on = data["item"], data["lot"].strip(), data["expires_on"]
        else:
            chosen = balances[data["stock"]]
            item, lot, expires_on = chosen.item, chosen.lot, None
        try:
            check_quantity(data["quantity"])
            sign = 1 if data["direction"] == AdjustmentForm.ADD else -1
            adjust_stock(
                location=location,
                item=item,
                lot=lot,
                quantity=sign * data["quantity"],
                reason=data["reason"],
                worker=request.user,
                occurred_on=today,
                note=data["note"],
                expires_on=expires_on,
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Stock adjusted."))
            return redirect(_location_url(location))
    context = {"location": location, "site": location.site, "form": form}
    return form_page(request, "inventory/adjustment_form.html", context)


def _balance_label(balance: StockBalance, today: datetime.date) -> str:
    values = {
        "item": balance.item.display_name,
        "lot": balance.lot or "—",
        "date": date_format(balance.expires_on) if balance.expires_on else "—",
        "count": balance.quantity,
    }
    if balance.expires_on is not None and balance.expires_on < today:
        return _("%(item)s · lot %(lot)s · expired %(date)s · %(count)d on hand") % values
    if balance.lot or balance.expires_on:
        return _("%(item)s · lot %(lot)s · expires %(date)s · %(count)d on hand") % values
    return _("%(item)s · %(count)d on hand") % values


@requires(Perm.MANAGE_STOCK)
def write_off(request: AuthedRequest, location_id: int) -> HttpResponse:
    """List the expired lots of a location; on POST, take them all off the shelf."""
    location = get_location_for_user(request, location_id)
    today = location.local_today()
    if request.method == "POST":
        written = write_off_expired(location=location, worker=request.user, occurred_on=today)
        if written:
            units = -sum(movement.quantity for movement in written)
            messages.success(
                request,
                ngettext(
                    "%(units)d expired unit written off.",
                    "%(units)d expired units written off.",
                    units,
                )
                % {"units": units},
            )
        else:
            messages.info(request, _("Nothing has expired here."))
        return redirect(_location_url(location))
    expired = (
        StockBalance.objects.filter(location=location, quantity__gt=0, expires_on__lt=today)
        .select_related("item")
        .order_by("expires_on", "item__name", "lot")
    )
    context = {"location": location, "site": location.site, "expired": list(expired)}
    return TemplateResponse(request, "inventory/expired_write_off.html", context)


# Stocktakes


@requires(Perm.MOVE_STOCK)
def count_start(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Explain a count; on POST open the sheet, or go back to one's own open sheet."""
    location = get_location_for_user(request, location_id)
    error = None
    if request.method == "POST":
        try:
            stocktake = start_count(location=location, worker=request.user)
        except DomainError as refused:
            error = refused.message
        else:
            return redirect("inventory:count_sheet", stocktake_id=stocktake.pk)
    current = (
        Stocktake.objects.filter(location=location, status=Stocktake.Status.COUNTING)
        .select_related("started_by")
        .first()
    )
    context = {"location": location, "site": location.site, "current": current, "error": error}
    status = 422 if error else 200
    return TemplateResponse(request, "inventory/stocktake_start.html", context, status=status)


@requires(Perm.MOVE_STOCK)
def count_sheet(request: AuthedRequest, stocktake_id: int) -> HttpResponse:
    """The count sheet: a number per line; read-only once closed or for others."""
    stocktake = get_object_or_404(
        Stocktake.objects.select_related("location__site", "started_by", "closed_by"),
        pk=stocktake_id,
        org_id=request.membership.org_id,
    )
    lines = list(stocktake.lines.select_related("item"))
    is_open = stocktake.status == Stocktake.Status.COUNTING
    is_mine = is_open and stocktake.started_by_id == request.user.pk
    may_cancel_others = role_can(request.membership.role, Perm.MANAGE_STOCK)
    sheet = CountSheetForm(lines=lines)
    found = CountLineForm(org_id=stocktake.org_id)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "cancel":
                cancel_count(
                    stocktake=stocktake, worker=request.user, may_cancel_others=may_cancel_others
                )
                messages.success(request, _("Count cancelled; stock is unchanged."))
                return redirect("inventory:count_history", location_id=stocktake.location_id)
            if action == "add":
                found = CountLineForm(request.POST, org_id=stocktake.org_id)
                if found.is_valid():
                    data = found.cleaned_data
                    add_count_line(
                        stocktake=stocktake,
                        worker=request.user,
                        item=data["item"],
                        lot=data["lot"].strip(),
                        expires_on=data["expires_on"],
                        counted=data["counted"],
                    )
                    messages.success(request, _("Line added to the sheet."))
                    return redirect("inventory:count_sheet", stocktake_id=stocktake.pk)
            else:
                sheet = CountSheetForm(request.POST, lines=lines)
                if sheet.is_valid():
                    _save_sheet(request, stocktake, sheet, apply=action == "apply")
                    if action == "apply":
                        messages.success(request, _("Count applied; the differences are booked."))
                    else:
                        messages.success(request, _("Counts saved; the sheet stays open."))
                    return redirect("inventory:count_sheet", stocktake_id=stocktake.pk)
        except DomainError as refused:
            error = refused.message
    context = {
        "stocktake": stocktake,
        "location": stocktake.location,
        "site": stocktake.location.site,
        "lines": lines,
        "sheet": sheet,
        "found": found,
        "error": error,
        "is_open": is_open,
        "is_mine": is_mine,
        "may_cancel": is_open and (is_mine or may_cancel_others),
        "differences": [line for line in lines if line.difference],
    }
    return form_page(request, "inventory/stocktake_sheet.html", context)


@transaction.atomic
def _save_sheet(
    request: AuthedRequest, stocktake: Stocktake, sheet: CountSheetForm, *, apply: bool
) -> None:
    # Saving and applying are one step: a refused apply keeps nothing,
    # and the page shows the figures as typed.
    save_counts(stocktake=stocktake, worker=request.user, counts=sheet.counts())
    if apply:
        apply_count(
            stocktake=stocktake,
            worker=request.user,
            occurred_on=stocktake.location.local_today(),
        )


@requires(Perm.VIEW_STOCK)
def count_history(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Past counts of a location: who, when, and how many lines differed."""
    location = get_location_for_user(request, location_id)
    differed = Q(lines__counted__isnull=False) & ~Q(lines__counted=F("lines__expected"))
    stocktakes = (
        Stocktake.objects.filter(location=location)
        .select_related("started_by", "closed_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=StocktakeLine.objects.filter(counted__isnull=False)
                .exclude(counted=F("expected"))
                .select_related("item"),
                to_attr="differing_lines",
            )
        )
        .annotate(
            line_count=Count("lines"),
            differed=Count("lines", filter=differed),
            net=Sum(F("lines__counted") - F("lines__expected"), filter=differed),
        )
        .order_by("-started_at", "-pk")[:COUNT_HISTORY]
    )
    context = {"location": location, "site": location.site, "stocktakes": list(stocktakes)}
    return TemplateResponse(request, "inventory/stocktake_history.html", context)
