"""Staff pages of mobile units and web outreach."""

import calendar
import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outpost.contacts.models import Contact
from outpost.contacts.views import channel_key, stock_from_key
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.periods import Period
from outpost.core.roles import Perm, role_can
from outpost.inventory.models import Location
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.outreach import actions
from outpost.outreach.figures import contacts_by_channel, secondary_distribution
from outpost.outreach.forms import MonthForm, StopForm, WebFiguresForm
from outpost.outreach.models import Shift, Stop, WebOutreachFigures


def get_unit_for_user(request: AuthedRequest, unit_id: int) -> Location:
    return get_object_or_404(
        Location.objects.select_related("site"),
        pk=unit_id,
        org_id=request.membership.org_id,
        kind=Location.Kind.MOBILE_UNIT,
    )


@requires(Perm.RECORD_CONTACT)
def today(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Today's stops of the site's mobile units, to start or join a shift."""
    site = get_site_for_user(request, site_id)
    units = list(Location.objects.active().filter(site=site, kind=Location.Kind.MOBILE_UNIT))
    stops = (
        Stop.objects.filter(unit__in=units, date=site.local_today())
        .select_related("unit", "shift")
        .order_by("starts", "pk")
    )
    context = {"site": site, "units": units, "stops": stops}
    return TemplateResponse(request, "outreach/stop_today.html", context)


@requires(Perm.PLAN_OUTREACH)
def unit(request: AuthedRequest, unit_id: int) -> HttpResponse:
    """A mobile unit's coming stops; plan a stop or cancel one."""
    bus = get_unit_for_user(request, unit_id)
    today = bus.local_today()
    form = StopForm(today=today)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            stop_id = request.POST.get("stop", "")
            if not stop_id.isdigit():
                raise Http404
            stop = get_object_or_404(Stop, pk=stop_id, unit=bus)
            try:
                actions.cancel_stop(stop=stop, worker=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Stop cancelled."))
            return redirect("outreach:unit", unit_id=bus.pk)
        form = StopForm(request.POST, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.plan_stop(
                    unit=bus,
                    worker=request.user,
                    place=data["place"],
                    date=data["date"],
                    starts=data["starts"],
                    ends=data["ends"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Stop planned."))
                return redirect("outreach:unit", unit_id=bus.pk)
        status = 422
    stops = Stop.objects.filter(unit=bus, date__gte=today).order_by("date", "starts", "pk")
    context = {"unit": bus, "site": bus.site, "form": form, "stops": stops}
    return TemplateResponse(request, "outreach/stop_list.html", context, status=status)


@require_POST
@requires(Perm.RECORD_CONTACT)
def shift_start(request: AuthedRequest, stop_id: int) -> HttpResponse:
    """Start or join the shift at a stop; quick entry then uses the unit."""
    stop = get_object_or_404(
        Stop.objects.select_related("unit__site"), pk=stop_id, org_id=request.membership.org_id
    )
    try:
        shift = actions.start_shift(stop=stop, worker=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        site_id = stop.unit.site_id
        return redirect("outreach:today", site_id=site_id) if site_id else redirect("home")
    _remember(request, shift)
    messages.success(
        request,
        _("Shift started: quick entry now records on %(unit)s.") % {"unit": stop.unit.name},
    )
    return redirect("outreach:shift", shift_id=shift.pk)


def _remember(request: AuthedRequest, shift: Shift) -> None:
    site = shift.stop.unit.site
    if site is None:
        return
    request.session[stock_from_key(site)] = shift.stop.unit_id
    request.session[channel_key(site)] = Channel.MOBILE_UNIT


def _forget(request: AuthedRequest, shift: Shift) -> None:
    site = shift.stop.unit.site
    if site is not None:
        request.session.pop(stock_from_key(site), None)
        request.session.pop(channel_key(site), None)


@requires(Perm.RECORD_CONTACT)
def shift(request: AuthedRequest, shift_id: int) -> HttpResponse:
    """A shift: its stop, team and contacts so far; end it with a count of the stock."""
    current = get_object_or_404(
        Shift.objects.select_related("stop__unit__site", "stocktake"),
        pk=shift_id,
        org_id=request.membership.org_id,
    )
    if request.method == "POST":
        try:
            if not role_can(request.membership.role, Perm.MOVE_STOCK):
                raise DomainError(
                    _(
                        "Ending a shift starts a count of the stock; "
                        "ask a colleague who counts stock."
                    )
                )
            stocktake = actions.end_shift(shift=current, worker=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("outreach:shift", shift_id=current.pk)
        _forget(request, current)
        messages.success(request, _("Shift ended. Count what is on board, then apply the count."))
        return redirect("inventory:count_sheet", stocktake_id=stocktake.pk)
    team = list(current.staff.order_by("username"))
    context = {
        "shift": current,
        "site": current.stop.unit.site,
        "team": team,
        "contacts": _shift_contacts(current, [member.pk for member in team]),
        "on_shift": any(member.pk == request.user.pk for member in team),
    }
    return TemplateResponse(request, "outreach/shift_detail.html", context)


def _shift_contacts(shift: Shift, staff_ids: list[int]) -> int:
    """Contacts the team recorded on the unit's channel while the shift ran."""
    if shift.stop.unit.site_id is None:
        return 0
    return Contact.objects.filter(
        site_id=shift.stop.unit.site_id,
        channel=Channel.MOBILE_UNIT,
        worker_id__in=staff_ids,
        occurred_at__gte=shift.started_at,
        occurred_at__lte=shift.ended_at or timezone.now(),
    ).count()


@requires(Perm.VIEW_TODAY)
def channels(request: AuthedRequest) -> HttpResponse:
    """A month's contacts by channel beside the web outreach figures."""
    return _channels_page(request, WebFiguresForm(initial={"month": _month(request)}))


@require_POST
@requires(Perm.ENTER_WEB_OUTREACH)
def web_figures(request: AuthedRequest) -> HttpResponse:
    """Enter a month's figures of a Telegram channel or chat."""
    form = WebFiguresForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_web_figures(
                org_id=request.membership.org_id,
                worker=request.user,
                month=data["month"],
                name=data["name"],
                kind=data["kind"],
                audience=data["audience"],
                consultations=data["consultations"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Figures saved."))
            url = reverse("outreach:channels")
            return redirect(f"{url}?month={data['month']:%Y-%m}")
    return _channels_page(request, form, status=422)


def _month(request: AuthedRequest) -> datetime.date:
    form = MonthForm(request.GET)
    if form.is_valid():
        picked: datetime.date = form.cleaned_data["month"]
        return picked.replace(day=1)
    return request.membership.local_today().replace(day=1)


def _channels_page(
    request: AuthedRequest, form: WebFiguresForm, status: int = 200
) -> HttpResponse:
    org_id = request.membership.org_id
    first = _month(request)
    period = Period(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))
    by_channel = contacts_by_channel(org_id=org_id, period=period)
    context = {
        "month": first,
        "previous_month": (first - datetime.timedelta(days=1)).replace(day=1),
        "next_month": period.last + datetime.timedelta(days=1),
        "channels": [(label, by_channel.get(value, 0)) for value, label in Channel.choices],
        "total": sum(by_channel.values()),
        "web": WebOutreachFigures.objects.filter(org_id=org_id, month=first),
        "secondary": secondary_distribution(org_id=org_id, period=period),
        "form": form,
    }
    return TemplateResponse(request, "outreach/channels.html", context, status=status)
