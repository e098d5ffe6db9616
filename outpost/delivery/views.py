"""The dispatcher's pages: take, approve, assign, cancel and retry orders."""

import dataclasses
import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from outpost.catalogue.models import Item, Kit
from outpost.clients.models import Client
from outpost.core.errors import DomainError
from outpost.core.pages import form_page
from outpost.core.roles import Perm, role_can
from outpost.delivery import actions
from outpost.delivery.access import LINES, couriers_of, get_delivery_for_user
from outpost.delivery.actions import RevealedDetails
from outpost.delivery.forms import AssignForm, DayForm, OrderForm, WindowForm
from outpost.delivery.models import DeliveryOrder
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.testing.access import get_art_course_for_user
from outpost.testing.models import ArtCourse


@requires(Perm.MANAGE_DELIVERIES)
def order_list(request: AuthedRequest, site_id: int) -> HttpResponse:
    """A day's orders at a site, and every order still waiting for approval."""
    site = get_site_for_user(request, site_id)
    picked = DayForm(request.GET)
    day = picked.cleaned_data["day"] if picked.is_valid() else site.local_today()
    orders = (
        DeliveryOrder.objects.filter(site=site)
        .filter(Q(window_date=day) | Q(status=DeliveryOrder.Status.REQUESTED))
        .select_related("client", "courier")
        .prefetch_related(*LINES)
        .order_by("window_date", "window_starts", "pk")
    )
    context = {
        "site": site,
        "day": day,
        "orders": orders,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
    }
    return TemplateResponse(request, "delivery/deliveryorder_list.html", context)


@requires(Perm.MANAGE_DELIVERIES)
def order_new(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Take an order by phone or messenger; ``?art=`` starts from a due ART supply."""
    site = get_site_for_user(request, site_id)
    course = _art_course(request)
    form = OrderForm(
        request.POST or None,
        today=site.local_today(),
        kits=list(Kit.objects.filter(org_id=site.org_id, is_active=True)),
        items=list(
            Item.objects.filter(org_id=site.org_id, is_active=True).exclude(category__code="kit")
        ),
        art_course=course,
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = actions.create_delivery_order(
                site=site,
                worker=request.user,
                request=dataclasses.replace(
                    form.order_request(), client=_client_by_code(request, form)
                ),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Order %(number)s taken; it waits for approval.") % {"number": f"#{order.pk}"},
            )
            return redirect("delivery:order", delivery_id=order.pk)
    context = {"site": site, "form": form, "course": course}
    return form_page(request, "delivery/deliveryorder_form.html", context)


def _art_course(request: AuthedRequest) -> ArtCourse | None:
    course_id = request.GET.get("art", "")
    if not course_id.isdigit():
        return None
    if not role_can(request.membership.role, Perm.MANAGE_ART):
        raise PermissionDenied
    return get_art_course_for_user(request, int(course_id))


def _client_by_code(request: AuthedRequest, form: OrderForm) -> Client | None:
    """The client with the typed code; None when none is typed."""
    code = form.cleaned_data.get("client_code", "")
    if not code:
        return None
    client = Client.objects.filter(org_id=request.membership.org_id, code=code).first()
    if client is None:
        raise DomainError(
            _("No client has the code %(code)s. Register them, or leave it empty.")
            % {"code": code}
        )
    return client


@requires(Perm.MANAGE_DELIVERIES)
def order_detail(request: AuthedRequest, delivery_id: int) -> HttpResponse:
    """One order, and the step its status allows next."""
    order = get_delivery_for_user(request, delivery_id)
    today = order.site.local_today()
    assign = AssignForm(couriers=couriers_of(order.org_id))
    retry = WindowForm(today=today)
    revealed: RevealedDetails | None = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "assign":
            assign = AssignForm(request.POST, couriers=couriers_of(order.org_id))
        if action == "retry":
            retry = WindowForm(request.POST, today=today)
        try:
            if action == "reveal":
                revealed = _reveal(request, order)
            else:
                return _change(request, order, action, assign, retry)
        except DomainError as error:
            messages.error(request, error.message)
            status = 422
    context = {
        "order": order,
        "site": order.site,
        "assign": assign,
        "retry": retry,
        "revealed": revealed,
        "attempt": DeliveryOrder.objects.filter(attempt_of=order).first(),
    }
    return TemplateResponse(request, "delivery/deliveryorder_detail.html", context, status=status)


def _reveal(request: AuthedRequest, order: DeliveryOrder) -> RevealedDetails:
    if not role_can(request.membership.role, Perm.VIEW_CONTACT_DETAILS):
        raise PermissionDenied
    return actions.reveal_delivery_details(order=order, worker=request.user, as_dispatcher=True)


def _change(
    request: AuthedRequest,
    order: DeliveryOrder,
    action: str,
    assign: AssignForm,
    retry: WindowForm,
) -> HttpResponse:
    """Apply one step; raises DomainError for a step that does not apply."""
    worker = request.user
    if action == "approve":
        actions.approve_delivery(order=order, worker=worker)
        done = _("Order approved.")
    elif action in ("assign", "reassign"):
        if not assign.is_valid():
            raise DomainError(_("Choose a courier."))
        courier = assign.cleaned_data["courier"]
        actions.assign_courier(
            order=order, courier=courier, worker=worker, reassign=action == "reassign"
        )
        done = _("Given to %(courier)s.") % {"courier": courier.get_username()}
    elif action == "cancel":
        actions.cancel_delivery(order=order, worker=worker)
        done = _("Order cancelled.")
    elif action == "retry":
        if not retry.is_valid():
            raise DomainError(_("Give the day and hours of the new attempt."))
        attempt = actions.retry_delivery(
            order=order,
            worker=worker,
            window=retry.window(),
            idempotency_key=retry.cleaned_data["idempotency_key"],
        )
        messages.success(request, _("New attempt made."))
        return redirect("delivery:order", delivery_id=attempt.pk)
    else:
        raise DomainError(_("Choose a step."))
    messages.success(request, done)
    return redirect("delivery:order", delivery_id=order.pk)
