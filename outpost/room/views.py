import datetime
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from outpost.clients.forms import CodeForm
from outpost.clients.models import Client
from outpost.clients.uic import UICParts
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.pages import form_page
from outpost.core.roles import Perm
from outpost.modes.history import modes_during
from outpost.modes.policy import has_confirmed_ppe, policy_at
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.orgs.models import Site
from outpost.room import actions
from outpost.room.errors import RoomFull
from outpost.room.forms import CheckOutForm, EventForm, IncidentForm, PastPeriodForm
from outpost.room.indicators import COHORT_DAYS, continuity, overdose_counts
from outpost.room.models import Event, OverdoseIncident, RoomSession, WaitingEntry

BOARD = "room/board.html"
# htmx stops polling when answered with this status.
STOP_POLLING = 286
RECENT = 50


def _client_by_code(site: Site, parts: UICParts) -> Client | None:
    return Client.objects.filter(org_id=site.org_id, code=parts.code).first()


def _unknown_code(parts: UICParts) -> str:
    return _("No client has the code %(code)s. Register them first.") % {"code": parts.code}


def _typed_client(request: AuthedRequest, site: Site) -> tuple[CodeForm, Client | None]:
    """The code form as posted and the client it names; None with the error on the form."""
    form = CodeForm(request.POST, today=site.local_today())
    if not form.is_valid():
        return form, None
    client = _client_by_code(site, form.cleaned_data["code"])
    if client is None:
        form.add_error("code", _unknown_code(form.cleaned_data["code"]))
    return form, client


@requires(Perm.RUN_ROOM)
@vary_on_headers("HX-Request")
def board(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Who is inside, for how long, and who waits; refreshes itself."""
    site = get_site_for_user(request, site_id)
    if request.headers.get("HX-Request") == "true":
        if _polled_too_long(request.GET.get("opened", "")):
            # Polling would otherwise keep an unattended screen signed in.
            return HttpResponse(status=STOP_POLLING)
        return TemplateResponse(request, BOARD + "#occupancy", _board_context(request, site))
    return _board(request, site, CodeForm(today=site.local_today()))


def _polled_too_long(opened: str) -> bool:
    try:
        since = int(opened)
    except ValueError:
        return True
    return time.time() - since > settings.SESSION_IDLE_TIMEOUT


def _board(
    request: AuthedRequest,
    site: Site,
    form: CodeForm,
    *,
    status: int = 200,
    waiting_offer: Client | None = None,
) -> HttpResponse:
    context = {**_board_context(request, site), "form": form, "waiting_offer": waiting_offer}
    return TemplateResponse(request, BOARD, context, status=status)


def _board_context(request: AuthedRequest, site: Site) -> dict[str, object]:
    now = timezone.now()
    today = site.local_date(now)
    policy = policy_at(site, now)
    inside = RoomSession.objects.inside(site).select_related("client").order_by("checked_in_at")
    waiting = (
        WaitingEntry.objects.filter(site=site, status=WaitingEntry.Status.WAITING)
        .select_related("client")
        .order_by("joined_at", "pk")
    )
    pending = RoomSession.objects.awaiting_disinfection(site).count()
    day = RoomSession.objects.filter(site=site, date=today).aggregate(
        sessions=Count("pk"), disposed=Sum("disposed")
    )
    return {
        "site": site,
        "policy": policy,
        "inside": list(inside),
        "waiting": list(waiting),
        "pending_disinfection": pending,
        "blocked_by_disinfection": policy.disinfection_required
        and RoomSession.objects.blocking_next(site).exists(),
        "needs_ppe": policy.ppe_required and not has_confirmed_ppe(site, request.user, today),
        "day": day,
        "opened": int(time.time()),
        "max_disposed": actions.MAX_DISPOSED,
        "now": now,
    }


@require_POST
@requires(Perm.RUN_ROOM)
def check_in(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Let the client with the typed code in, or say why not."""
    site = get_site_for_user(request, site_id)
    form, client = _typed_client(request, site)
    if client is None:
        return _board(request, site, form, status=422)
    try:
        actions.check_in(site=site, client=client, worker=request.user)
    except RoomFull as error:
        form.add_error(None, error.message)
        return _board(request, site, form, status=422, waiting_offer=client)
    except DomainError as error:
        form.add_error(None, error.message)
        return _board(request, site, form, status=422)
    messages.success(request, _("%(code)s checked in.") % {"code": client.code})
    return redirect("room:board", site_id=site.pk)


@require_POST
@requires(Perm.RUN_ROOM)
def wait(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Put the client with the given code at the end of the waiting list."""
    site = get_site_for_user(request, site_id)
    form, client = _typed_client(request, site)
    if client is None:
        return _board(request, site, form, status=422)
    try:
        actions.add_to_waiting_list(site=site, client=client, worker=request.user)
    except DomainError as error:
        form.add_error(None, error.message)
        return _board(request, site, form, status=422)
    messages.success(request, _("%(code)s is on the waiting list.") % {"code": client.code})
    return redirect("room:board", site_id=site.pk)


@require_POST
@requires(Perm.RUN_ROOM)
def wait_remove(request: AuthedRequest, site_id: int, entry_id: int) -> HttpResponse:
    """Take a client who went away off the waiting list."""
    site = get_site_for_user(request, site_id)
    entry = get_object_or_404(WaitingEntry, pk=entry_id, site=site)
    try:
        actions.remove_from_waiting_list(entry=entry, worker=request.user)
    except DomainError as error:
        return _refused(request, site, error)
    return redirect("room:board", site_id=site.pk)


def _refused(request: AuthedRequest, site: Site, error: DomainError) -> HttpResponse:
    form = CodeForm(today=site.local_today())
    context = {**_board_context(request, site), "form": form, "refusal": error.message}
    return TemplateResponse(request, BOARD, context, status=422)


@require_POST
@requires(Perm.RUN_ROOM)
def check_out(request: AuthedRequest, site_id: int, room_session_id: int) -> HttpResponse:
    """Let a client out, with the used equipment they disposed of."""
    site = get_site_for_user(request, site_id)
    session = get_object_or_404(
        RoomSession.objects.select_related("site"), pk=room_session_id, site=site
    )
    form = CheckOutForm(request.POST)
    if not form.is_valid():
        refusal = _("Disposed equipment must be between 0 and %(max)d.") % {
            "max": actions.MAX_DISPOSED
        }
        return _refused(request, site, DomainError(refusal))
    try:
        done = actions.check_out(
            session=session, worker=request.user, disposed=form.cleaned_data["disposed"] or 0
        )
    except DomainError as error:
        return _refused(request, site, error)
    messages.success(request, _("%(code)s checked out.") % {"code": done.client.code})
    return redirect("room:board", site_id=site.pk)


@require_POST
@requires(Perm.RUN_ROOM)
def disinfect(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Record that the space was disinfected after the last client."""
    site = get_site_for_user(request, site_id)
    try:
        actions.record_disinfection(site=site, worker=request.user)
    except DomainError as error:
        return _refused(request, site, error)
    messages.success(request, _("Disinfection recorded."))
    return redirect("room:board", site_id=site.pk)


@require_POST
@requires(Perm.RUN_ROOM)
def incident_start(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Open an overdose incident at once; the details follow on its page."""
    site = get_site_for_user(request, site_id)
    session = None
    session_id = request.POST.get("session", "")
    if session_id.isdigit():
        session = get_object_or_404(RoomSession, pk=int(session_id), site=site)
    incident = actions.start_incident(
        site=site,
        worker=request.user,
        session=session,
        idempotency_key=_key(request.POST.get("idempotency_key", "")),
    )
    return redirect("room:incident", site_id=site.pk, incident_id=incident.pk)


def _key(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _get_incident_for_user(
    request: AuthedRequest, site: Site, incident_id: int
) -> OverdoseIncident:
    """The incident at ``site``, else 404; a look at one that names a client is logged."""
    incident = get_object_or_404(
        OverdoseIncident.objects.select_related("client", "naloxone_item", "recorded_by"),
        pk=incident_id,
        site=site,
    )
    if incident.client_id is not None:
        audit(
            actor_id=request.user.pk, org_id=site.org_id, verb="overdose.viewed", target=incident
        )
    return incident


@requires(Perm.RUN_ROOM)
def incident(request: AuthedRequest, site_id: int, incident_id: int) -> HttpResponse:
    """What was seen and done in an overdose, and how it ended."""
    site = get_site_for_user(request, site_id)
    found = _get_incident_for_user(request, site, incident_id)
    form = IncidentForm(request.POST or None, site=site, initial=_initial(found))
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_response(
                incident=found, worker=request.user, response=_response(site, form)
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Overdose response saved."))
            return redirect("room:incident_report", site_id=site.pk, incident_id=found.pk)
    context = {"site": site, "incident": found, "form": form}
    return form_page(request, "room/overdoseincident_form.html", context)


def _initial(incident: OverdoseIncident) -> dict[str, object]:
    return {
        "occurred_at": incident.occurred_at,
        "code": incident.client.code if incident.client else "",
        "signs": incident.signs,
        "naloxone_doses": incident.naloxone_doses,
        **({"naloxone_item": incident.naloxone_item_id} if incident.naloxone_item_id else {}),
        "oxygen": incident.oxygen,
        "rescue_breathing": incident.rescue_breathing,
        "ambulance_called_at": incident.ambulance_called_at,
        "ambulance_arrived_at": incident.ambulance_arrived_at,
        "outcome": incident.outcome,
    }


def _response(site: Site, form: IncidentForm) -> actions.Response:
    data = form.cleaned_data
    client = None
    if data["code"] is not None:
        client = _client_by_code(site, data["code"])
        if client is None:
            raise DomainError(_unknown_code(data["code"]))
    return actions.Response(
        occurred_at=data["occurred_at"],
        client=client,
        signs=data["signs"],
        naloxone_item=data["naloxone_item"],
        naloxone_doses=data["naloxone_doses"],
        oxygen=data["oxygen"],
        rescue_breathing=data["rescue_breathing"],
        ambulance_called_at=data["ambulance_called_at"],
        ambulance_arrived_at=data["ambulance_arrived_at"],
        outcome=data["outcome"],
    )


@requires(Perm.RUN_ROOM)
def incident_report(request: AuthedRequest, site_id: int, incident_id: int) -> HttpResponse:
    """The incident as a page to print and sign."""
    site = get_site_for_user(request, site_id)
    context = {"site": site, "incident": _get_incident_for_user(request, site, incident_id)}
    return TemplateResponse(request, "room/overdoseincident_report.html", context)


@requires(Perm.RUN_ROOM)
def incidents(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Overdoses at the site: this month's counts and the latest incidents."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    first = today.replace(day=1)
    counts = overdose_counts(site_ids=[site.pk], first=first, last=today)
    latest = (
        OverdoseIncident.objects.filter(site=site)
        .select_related("client")
        .order_by("-occurred_at", "-pk")[:RECENT]
    )
    outcomes = [
        (label, counts.by_outcome[value]) for value, label in OverdoseIncident.Outcome.choices
    ]
    context = {
        "site": site,
        "first": first,
        "last": today,
        "counts": counts,
        "outcomes": outcomes,
        "latest": latest,
    }
    return TemplateResponse(request, "room/overdoseincident_list.html", context)


@requires(Perm.RUN_ROOM)
def events(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Groups, information sessions and trainings held at the site."""
    site = get_site_for_user(request, site_id)
    latest = (
        Event.objects.filter(site=site)
        .annotate(coded=Count("clients"))
        .order_by("-date", "-pk")[:RECENT]
    )
    return TemplateResponse(request, "room/event_list.html", {"site": site, "events": latest})


@requires(Perm.RUN_ROOM)
def event_new(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Record an event and its attendance, by code or as a count."""
    site = get_site_for_user(request, site_id)
    form = EventForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        codes = [parts.code for parts in data["codes"]]
        found = {c.code: c for c in Client.objects.filter(org_id=site.org_id, code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            form.add_error(
                "codes", _("No client has these codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        else:
            try:
                event = actions.record_event(
                    site=site,
                    worker=request.user,
                    kind=data["kind"],
                    date=data["date"],
                    topic=data["topic"],
                    facilitator=data["facilitator"],
                    clients=list(found.values()),
                    anonymous_count=data["anonymous_count"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Event recorded."))
                return redirect("room:event", site_id=site.pk, event_id=event.pk)
    return form_page(request, "room/event_form.html", {"site": site, "form": form})


@requires(Perm.RUN_ROOM)
def event(request: AuthedRequest, site_id: int, event_id: int) -> HttpResponse:
    """One event and who attended it."""
    site = get_site_for_user(request, site_id)
    found = get_object_or_404(Event.objects.select_related("recorded_by"), pk=event_id, site=site)
    attendees = found.clients.order_by("code")
    context = {"site": site, "event": found, "attendees": attendees}
    return TemplateResponse(request, "room/event_detail.html", context)


@requires(Perm.VIEW_TODAY)
def site_continuity(request: AuthedRequest, site_id: int) -> HttpResponse:
    """How much of the usual reach a period kept, beside the modes it was in."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    form = PastPeriodForm(
        request.GET or {"first": today.replace(day=1), "last": today}, today=today
    )
    context: dict[str, object] = {"site": site, "form": form}
    status = 200
    if form.is_valid():
        first: datetime.date = form.cleaned_data["first"]
        last: datetime.date = form.cleaned_data["last"]
        context["result"] = continuity(site_ids=[site.pk], first=first, last=last)
        context["spans"] = modes_during(site, first, last)
        context["cohort_from"] = first - datetime.timedelta(days=COHORT_DAYS)
        context["cohort_to"] = first - datetime.timedelta(days=1)
    else:
        status = 422
    return TemplateResponse(request, "room/continuity.html", context, status=status)
