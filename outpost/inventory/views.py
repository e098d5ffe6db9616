"""The stock pages: one location, the overview, locations, forecast settings and orders.

Every page reads a fixed number of queries whatever the size of the ledger:
the forecast module sums the movements in the database, and lists are
fetched with their related rows.
"""

import datetime
import uuid

from django.contrib import messages
from django.db.models import Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from outpost.catalogue.models import Item
from outpost.core.errors import DomainError
from outpost.core.roles import Perm
from outpost.inventory.access import get_location_for_user
from outpost.inventory.actions import cancel_order, place_order, receive_stock, store_of
from outpost.inventory.forecast import EXPIRY_WARNING_DAYS, Forecast, forecasts
from outpost.inventory.forms import (
    LocationForm,
    LocationReceiptForm,
    OrderForm,
    StockPolicyForm,
)
from outpost.inventory.locations import save_location
from outpost.inventory.models import (
    Location,
    StockBalance,
    StockMovement,
    StockOrder,
    StockPolicy,
    Transfer,
    TransferLine,
)
from outpost.inventory.policies import save_stock_policies
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires

RECENT_MOVEMENTS = 30
# Unprocessable Content: the form came back with errors.
INVALID = 422


def get_order_for_user(request: AuthedRequest, order_id: int) -> StockOrder:
    return get_object_or_404(
        StockOrder.objects.select_related("location", "item"),
        pk=order_id,
        org_id=request.membership.org_id,
    )


@require_http_methods(["GET"])
@requires(Perm.VIEW_STOCK)
def overview(request: AuthedRequest) -> HttpResponse:
    """Every item at every location in use, the soonest stock-out first."""
    kind = request.GET.get("kind", "")
    locations = Location.objects.active().filter(org_id=request.membership.org_id)
    if kind in Location.Kind.values:
        locations = locations.filter(kind=kind)
    else:
        kind = ""
    attention_only = request.GET.get("attention") == "1"
    rows = forecasts(
        list(locations.select_related("site")), today=request.membership.local_today()
    )
    if attention_only:
        rows = [row for row in rows if row.needs_attention]
    context = {
        "forecasts": rows,
        "kinds": Location.Kind.choices,
        "kind": kind,
        "attention_only": attention_only,
        "at_risk_count": sum(1 for row in rows if row.at_risk),
    }
    return TemplateResponse(request, "inventory/overview.html", context)


@require_http_methods(["GET"])
@requires(Perm.VIEW_STOCK)
def site_stock(request: AuthedRequest, site_id: int) -> HttpResponse:
    """A site's stock is its store's."""
    site = get_site_for_user(request, site_id)
    try:
        location = store_of(site)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inventory:overview")
    return redirect("inventory:location", location_id=location.pk)


@require_http_methods(["GET"])
@requires(Perm.VIEW_STOCK)
def location_stock(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Balances per lot, the forecast per item, what is coming and what moved."""
    location = get_location_for_user(request, location_id)
    today = location.local_today()
    balances = (
        StockBalance.objects.filter(location=location, quantity__gt=0)
        .select_related("item")
        .order_by("item__category__code", "item__name", "expires_on", "lot")
    )
    orders = (
        StockOrder.objects.filter(location=location, status=StockOrder.Status.OPEN)
        .select_related("item")
        .order_by("expected_on", "ordered_on", "pk")
    )
    # Lines with their transfer, not transfers with prefetched lines: the
    # prefetch would add a query only when something is on its way.
    incoming = (
        TransferLine.objects.filter(
            transfer__destination=location, transfer__status=Transfer.Status.IN_TRANSIT
        )
        .select_related("transfer__source", "item")
        .order_by("transfer__sent_on", "transfer_id", "pk")
    )
    movements = (
        StockMovement.objects.filter(location=location)
        .select_related("item", "recorded_by")
        .order_by("-recorded_at", "-pk")[:RECENT_MOVEMENTS]
    )
    context = {
        "location": location,
        "site": location.site,
        "today": today,
        "expiry_warning_on": today + datetime.timedelta(days=EXPIRY_WARNING_DAYS),
        "balances": balances,
        "forecasts": forecasts([location], today=today),
        "orders": orders,
        "incoming": incoming,
        "movements": movements,
    }
    return TemplateResponse(request, "inventory/location_stock.html", context)


@require_http_methods(["GET", "POST"])
@requires(Perm.RECEIVE_STOCK)
def receive(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Record a delivery into a location, against one of its open orders if picked."""
    location = get_location_for_user(request, location_id)
    form = LocationReceiptForm(
        request.POST or None, location=location, initial=_receipt_initial(request, location)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receive_stock(
                location=location,
                item=data["item"],
                quantity=data["quantity"],
                lot=data["lot"],
                expires_on=data["expires_on"],
                supplier=data["supplier"],
                order=data["order"],
                worker=request.user,
                occurred_on=location.local_today(),
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Stock received."))
            return redirect("inventory:location", location_id=location.pk)
    status = INVALID if request.method == "POST" else 200
    context = {"location": location, "site": location.site, "form": form}
    return TemplateResponse(request, "inventory/receipt_form.html", context, status=status)


def _receipt_initial(request: AuthedRequest, location: Location) -> dict[str, object]:
    initial: dict[str, object] = {"idempotency_key": uuid.uuid4()}
    order_id = request.GET.get("order", "")
    if order_id.isdigit():
        order = StockOrder.objects.filter(
            pk=int(order_id), location=location, status=StockOrder.Status.OPEN
        ).first()
        if order is not None:
            initial.update(
                order=order.pk,
                item=order.item_id,
                quantity=order.outstanding,
                supplier=order.supplier,
            )
    return initial


# Locations


@require_http_methods(["GET"])
@requires(Perm.MANAGE_STOCK)
def location_list(request: AuthedRequest) -> HttpResponse:
    """Every place of the organisation that holds stock, in use or not."""
    locations = (
        Location.objects.filter(org_id=request.membership.org_id)
        .select_related("site", "holder")
        .annotate(units=Sum("balances__quantity"))
        .order_by("-is_active", "kind", "name")
    )
    return TemplateResponse(request, "inventory/location_list.html", {"locations": locations})


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_STOCK)
def location_new(request: AuthedRequest) -> HttpResponse:
    return _location_page(request, Location(org_id=request.membership.org_id))


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_STOCK)
def location_edit(request: AuthedRequest, location_id: int) -> HttpResponse:
    return _location_page(request, get_location_for_user(request, location_id))


def _location_page(request: AuthedRequest, location: Location) -> HttpResponse:
    title = location.name
    form = LocationForm(
        request.POST if request.method == "POST" else None,
        instance=location,
        org_id=request.membership.org_id,
    )
    if form.is_bound and form.is_valid():
        try:
            saved = save_location(location=form.save(commit=False), worker=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(place)s is saved.") % {"place": saved.name})
            return redirect("inventory:locations")
    status = INVALID if form.is_bound else 200
    context = {"form": form, "title": title, "location": location if location.pk else None}
    return TemplateResponse(request, "inventory/location_form.html", context, status=status)


# Forecast settings


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_STOCK)
def policies(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Lead time, safety margin and review period of each item the location uses."""
    location = get_location_for_user(request, location_id)
    policy_rows = StockPolicy.objects.filter(location=location)
    used = (
        Item.objects.filter(org_id=location.org_id)
        .filter(
            Q(balances__location=location)
            | Q(pk__in=policy_rows.values("item_id"))
            | Q(
                pk__in=StockOrder.objects.filter(
                    location=location, status=StockOrder.Status.OPEN
                ).values("item_id")
            )
        )
        .select_related("category")
        .distinct()
        .order_by("category__code", "name")
    )
    items = list(used)
    current = {policy.item_id: policy for policy in policy_rows}
    initial = {
        f"{prefix}_{item_id}": value
        for item_id, policy in current.items()
        for prefix, value in (
            ("lead", policy.lead_time_days),
            ("safety", policy.safety_days),
            ("review", policy.review_days),
        )
    }
    form = StockPolicyForm(
        request.POST if request.method == "POST" else None,
        location=location,
        items=items,
        initial=initial,
    )
    if form.is_bound and form.is_valid():
        try:
            save_stock_policies(location=location, days=form.days(), worker=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The forecast settings are saved."))
            return redirect("inventory:location", location_id=location.pk)
    status = INVALID if form.is_bound else 200
    context = {"location": location, "site": location.site, "form": form}
    return TemplateResponse(request, "inventory/policy_form.html", context, status=status)


# Orders


@require_http_methods(["GET"])
@requires(Perm.MANAGE_STOCK)
def order_list(request: AuthedRequest) -> HttpResponse:
    """Orders placed and not yet arrived, the soonest expected first."""
    orders = (
        StockOrder.objects.filter(org_id=request.membership.org_id, status=StockOrder.Status.OPEN)
        .select_related("location", "item", "ordered_by")
        .order_by("expected_on", "ordered_on", "pk")
    )
    return TemplateResponse(request, "inventory/order_list.html", {"orders": orders})


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_STOCK)
def order_new(request: AuthedRequest, location_id: int) -> HttpResponse:
    """Order stock for a location; ``?item=`` fills in the forecast's proposal."""
    location = get_location_for_user(request, location_id)
    today = location.local_today()
    form = OrderForm(
        request.POST if request.method == "POST" else None,
        org_id=location.org_id,
        initial=_proposal(request, location, today),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            order = place_order(
                location=location,
                item=data["item"],
                quantity=data["quantity"],
                expected_on=data["expected_on"],
                supplier=data["supplier"],
                worker=request.user,
                ordered_on=today,
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Ordered %(units)d × %(item)s.")
                % {"units": order.quantity, "item": order.item.display_name},
            )
            return redirect("inventory:location", location_id=location.pk)
    status = INVALID if form.is_bound else 200
    context = {"location": location, "site": location.site, "form": form}
    return TemplateResponse(request, "inventory/order_form.html", context, status=status)


def _proposal(
    request: AuthedRequest, location: Location, today: datetime.date
) -> dict[str, object]:
    item_id = request.GET.get("item", "")
    if not item_id.isdigit():
        return {}
    wanted: Forecast | None = next(
        (row for row in forecasts([location], today=today) if row.item.pk == int(item_id)),
        None,
    )
    if wanted is None:
        return {"item": int(item_id)}
    return {"item": wanted.item.pk, "quantity": wanted.proposed_order or None}


@require_POST
@requires(Perm.MANAGE_STOCK)
def order_cancel(request: AuthedRequest, order_id: int) -> HttpResponse:
    order = get_order_for_user(request, order_id)
    try:
        cancel_order(order=order, worker=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The order of %(units)d × %(item)s is cancelled.")
            % {"units": order.quantity, "item": order.item.display_name},
        )
    return redirect("inventory:orders")
