from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from outpost.core.errors import DomainError
from outpost.core.roles import Perm
from outpost.inventory.actions import receive_stock, store_of
from outpost.inventory.forms import ReceiptForm
from outpost.inventory.models import StockBalance, StockMovement
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires

RECENT_MOVEMENTS = 30


@requires(Perm.VIEW_STOCK)
def location_stock(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Balances per item and lot at a site's store, and the latest movements."""
    site = get_site_for_user(request, site_id)
    location = store_of(site)
    balances = (
        StockBalance.objects.filter(location=location, quantity__gt=0)
        .select_related("item")
        .order_by("item__name", "expires_on")
    )
    movements = (
        StockMovement.objects.filter(location=location)
        .select_related("item")
        .order_by("-recorded_at", "-pk")[:RECENT_MOVEMENTS]
    )
    context = {"site": site, "location": location, "balances": balances, "movements": movements}
    return TemplateResponse(request, "inventory/location_stock.html", context)


@requires(Perm.RECEIVE_STOCK)
def receive(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Record a delivery of stock into a site's store."""
    site = get_site_for_user(request, site_id)
    form = ReceiptForm(request.POST or None, org_id=site.org_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receive_stock(
                location=store_of(site),
                item=data["item"],
                quantity=data["quantity"],
                lot=data["lot"],
                expires_on=data["expires_on"],
                supplier=data["supplier"],
                worker=request.user,
                occurred_on=site.local_today(),
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Stock received."))
            return redirect("inventory:location", site_id=site.pk)
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(
        request, "inventory/receipt_form.html", {"site": site, "form": form}, status=status
    )
