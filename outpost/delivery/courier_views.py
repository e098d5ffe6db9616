"""The courier's one page, made for a phone: today's deliveries in their order."""

from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from outpost.catalogue.models import Item
from outpost.core.errors import DomainError
from outpost.core.roles import Perm
from outpost.delivery import actions
from outpost.delivery.access import LINES
from outpost.delivery.actions import RevealedDetails
from outpost.delivery.forms import FailForm
from outpost.delivery.models import DeliveryOrder
from outpost.inventory.models import StockBalance
from outpost.orgs.access import AuthedRequest, requires


@requires(Perm.DELIVER)
def route(request: AuthedRequest) -> HttpResponse:
    """Today's deliveries of the signed-in courier, the bag, and orders to take."""
    revealed: dict[int, RevealedDetails] = {}
    status = 200
    if request.method == "POST":
        try:
            order = _order_from(request)
            if request.POST.get("action") == "reveal":
                revealed[order.pk] = actions.reveal_delivery_details(
                    order=order, worker=request.user
                )
            else:
                messages.success(request, _step(request, order))
                return redirect("delivery:route")
        except DomainError as error:
            messages.error(request, error.message)
            status = 422
    return TemplateResponse(
        request, "delivery/courier_route.html", _route_context(request, revealed), status=status
    )


def _order_from(request: AuthedRequest) -> DeliveryOrder:
    """The order a button names: the courier's own, or one waiting to be taken."""
    order_id = request.POST.get("order", "")
    if not order_id.isdigit():
        raise DomainError(_("Choose a delivery."))
    order = DeliveryOrder.objects.filter(org_id=request.membership.org_id, pk=order_id).first()
    if order is None:
        raise Http404
    waiting = order.status == DeliveryOrder.Status.APPROVED and order.courier_id is None
    if order.courier_id != request.user.pk and not waiting:
        raise Http404
    return order


def _step(request: AuthedRequest, order: DeliveryOrder) -> str:
    courier = request.user
    action = request.POST.get("action", "")
    if action == "take":
        actions.assign_courier(order=order, courier=courier, worker=courier)
        return _("The delivery is yours.")
    if action == "out":
        actions.mark_out(order=order, courier=courier)
        return _("On your way.")
    if action == "delivered":
        actions.mark_delivered(order=order, courier=courier)
        return _("Delivered. Thank you.")
    if action == "failed":
        form = FailForm(request.POST)
        if not form.is_valid():
            raise DomainError(_("Choose why the delivery failed."))
        actions.mark_failed(order=order, courier=courier, reason=form.cleaned_data["reason"])
        return _("Marked as failed; the dispatcher will see why.")
    if action in ("up", "down"):
        actions.move_in_route(order=order, courier=courier, step=-1 if action == "up" else 1)
        return _("Order of the route changed.")
    raise DomainError(_("Choose a step."))


def _route_context(
    request: AuthedRequest, revealed: dict[int, RevealedDetails]
) -> dict[str, object]:
    org_id = request.membership.org_id
    today = request.membership.local_today()
    mine = list(
        DeliveryOrder.objects.on_the_way_with(request.user.pk)
        .filter(org_id=org_id, window_date=today)
        .prefetch_related(*LINES)
        .order_by("route_position", "window_starts", "pk")
    )
    for order in mine:
        order.revealed = revealed.get(order.pk)  # type: ignore[attr-defined]  # for the template
    waiting = (
        DeliveryOrder.objects.filter(
            org_id=org_id,
            status=DeliveryOrder.Status.APPROVED,
            courier__isnull=True,
            window_date=today,
        )
        .prefetch_related(*LINES)
        .order_by("window_starts", "pk")
    )
    return {
        "today": today,
        "mine": mine,
        "waiting": waiting,
        "bag": _bag_stock(request, today),
        "fail_form": FailForm(),
    }


def _bag_stock(request: AuthedRequest, today: object) -> list[tuple[Item, int]] | None:
    """What the courier's bag holds that may still be handed out; None without a bag."""
    bag = actions.bag_of(request.user, request.membership.org_id)
    if bag is None:
        return None
    on_hand = (
        StockBalance.objects.filter(location=bag, quantity__gt=0)
        .exclude(expires_on__lt=today)
        .on_hand_by_item()
    )
    items = Item.objects.filter(pk__in=on_hand).order_by(F("category__code"), "name")
    return [(item, on_hand[item.pk]) for item in items]
