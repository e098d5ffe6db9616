from dataclasses import dataclass
from typing import Generic, TypeVar

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from outpost.cases import actions
from outpost.cases.access import (
    get_case_for_user,
    get_case_manager_for_user,
    get_follow_up_for_user,
)
from outpost.cases.caseload import caseload_of, loads
from outpost.cases.figures import (
    Scope,
    cases_by_month,
    consultations_by_month,
    goals_achieved,
    outcomes,
)
from outpost.cases.forms import (
    CloseCaseForm,
    ConsultationForm,
    GoalsForm,
    OpenCaseForm,
    ReassignForm,
)
from outpost.cases.history import timeline
from outpost.cases.models import Case, Consultation, FollowUp, Goal
from outpost.cases.notes import unseal
from outpost.clients.access import get_client_for_user
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.pages import form_page, posted
from outpost.core.periods import PeriodForm
from outpost.core.roles import Perm, role_can
from outpost.modes.policy import policy_at
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.orgs.models import Membership
from outpost.testing.actions import mark_lost_referrals

RECENT_CONSULTATIONS = 20
Row = TypeVar("Row")


@dataclass(frozen=True)
class Shown(Generic[Row]):
    """A record with its sealed text opened, or empty for a role that may not read it."""

    row: Row
    text: str


@requires(Perm.MANAGE_CASES)
def caseload(request: AuthedRequest) -> HttpResponse:
    """The signed-in case manager's home: open cases and what is due."""
    return _caseload_page(request, request.membership)


@requires(Perm.REASSIGN_CASES)
def staff_caseload(request: AuthedRequest, staff_id: int) -> HttpResponse:
    """Another person's caseload, with a form to hand cases over."""
    return _caseload_page(request, get_case_manager_for_user(request, staff_id))


@require_POST
@requires(Perm.REASSIGN_CASES)
def reassign(request: AuthedRequest, staff_id: int) -> HttpResponse:
    """Hand some of a person's open cases over to another case manager."""
    staff = get_case_manager_for_user(request, staff_id)
    form = _reassign_form(request, staff)
    if form.is_valid():
        try:
            moved = actions.reassign_cases(
                org_id=staff.org_id,
                cases=list(form.cleaned_data["cases"]),
                worker=request.user,
                manager=form.cleaned_data["manager"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            count = len(moved)
            messages.success(
                request,
                ngettext("%(count)d case handed over.", "%(count)d cases handed over.", count)
                % {"count": count},
            )
            return redirect("cases:staff_caseload", staff_id=staff.user_id)
    return _caseload_page(request, staff, form=form, status=422)


@requires(Perm.REASSIGN_CASES)
def case_loads(request: AuthedRequest) -> HttpResponse:
    """Every case manager's load side by side, in figures only."""
    today = request.membership.local_today()
    context = {"loads": loads(org_id=request.membership.org_id, today=today), "today": today}
    return TemplateResponse(request, "cases/case_loads.html", context)


@requires(Perm.MANAGE_CASES)
def open_case(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Open a case for a client, or go to the case already open."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    existing = Case.objects.open().filter(client=client).first()
    if existing is not None:
        return redirect("cases:case", case_id=existing.pk)
    staff = actions.case_managers(site.org_id)
    form = OpenCaseForm(posted(request), org_id=site.org_id, staff=staff, me=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = actions.open_case(
                site=site,
                worker=request.user,
                client=client,
                manager=data["manager"],
                goal_types=list(data["goal_types"]),
                own_goal=data["own_goal"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Case opened for %(code)s.") % {"code": client.code})
            return redirect("cases:case", case_id=case.pk)
    context = {"site": site, "client": client, "form": form}
    return form_page(request, "cases/case_open.html", context)


@requires(Perm.MANAGE_CASES)
def case_detail(request: AuthedRequest, case_id: int) -> HttpResponse:
    """A case: its goals, consultations and follow-ups, notes for the roles that read them."""
    return _case_page(request, get_case_for_user(request, case_id))


@require_POST
@requires(Perm.MANAGE_CASES)
def case_goals(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Change the status of a case's goals, and add goals."""
    case = get_case_for_user(request, case_id)
    form = GoalsForm(request.POST, case=case, goals=_goals(case))
    if form.is_valid():
        try:
            actions.update_goals(
                case=case,
                worker=request.user,
                statuses=form.statuses(),
                goal_types=list(form.cleaned_data["goal_types"]),
                own_goal=form.cleaned_data["own_goal"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Goals saved."))
            return redirect("cases:case", case_id=case.pk)
    return _case_page(request, case, goals_form=form, status=422)


@requires(Perm.MANAGE_CASES)
def consult(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Record a consultation in person, by phone or by messenger, with its follow-ups."""
    case = get_case_for_user(request, case_id)
    today = case.site.local_today()
    form = ConsultationForm(
        posted(request),
        org_id=case.org_id,
        channels=sorted(policy_at(case.site).channels),
        today=today,
        initial={"channel": "phone"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_consultation(
                case=case,
                worker=request.user,
                channel=data["channel"],
                topic=data["topic"],
                minutes=data["minutes"],
                note=data["note"],
                follow_ups=form.follow_ups(),
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Consultation saved."))
            return redirect("cases:case", case_id=case.pk)
    return form_page(request, "cases/consultation_form.html", {"case": case, "form": form})


@requires(Perm.MANAGE_CASES)
def close(request: AuthedRequest, case_id: int) -> HttpResponse:
    """Close a case with its outcome."""
    case = get_case_for_user(request, case_id)
    form = CloseCaseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            actions.close_case(
                case=case, worker=request.user, outcome=form.cleaned_data["outcome"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Case closed."))
            return redirect("cases:case", case_id=case.pk)
    return form_page(request, "cases/case_close.html", {"case": case, "form": form})


@require_POST
@requires(Perm.MANAGE_CASES)
def follow_up_done(request: AuthedRequest, follow_up_id: int) -> HttpResponse:
    """Mark a follow-up done, then go back to the page it was marked on."""
    follow_up = get_follow_up_for_user(request, follow_up_id)
    try:
        actions.complete_follow_up(follow_up=follow_up, worker=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Follow-up done."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("cases:case", case_id=follow_up.case_id)


@requires(Perm.MANAGE_CASES)
def history(request: AuthedRequest, client_id: int) -> HttpResponse:
    """A client's contacts, consultations, tests and referrals, newest first."""
    client = get_client_for_user(request, client_id)
    page, entries = timeline(client, request.GET.get("page"))
    audit(
        actor_id=request.user.pk,
        org_id=client.org_id,
        verb="case_history.viewed",
        target=client,
    )
    context = {
        "client": client,
        "page": page,
        "entries": entries,
        "case": Case.objects.open().filter(client=client).first(),
    }
    return TemplateResponse(request, "cases/client_history.html", context)


@requires(Perm.VIEW_CASE_FIGURES)
def figures(request: AuthedRequest) -> HttpResponse:
    """Consultations, cases and goals achieved in a period: counts only."""
    today = request.membership.local_today()
    form = PeriodForm(request.GET or {"first": today.replace(day=1), "last": today})
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        scope, period = Scope(org_id=request.membership.org_id), form.period()
        context |= {
            "consultations": consultations_by_month(scope, period),
            "cases": cases_by_month(scope, period),
            "outcomes": outcomes(scope, period),
            "goals": goals_achieved(scope, period),
        }
    status = 200 if form.is_valid() else 400
    return TemplateResponse(request, "cases/figures.html", context, status=status)


def _caseload_page(
    request: AuthedRequest,
    staff: Membership,
    *,
    form: ReassignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = request.membership.local_today()
    mark_lost_referrals(today=today, org_id=staff.org_id)
    load = caseload_of(org_id=staff.org_id, user_id=staff.user_id, today=today)
    reveal = role_can(request.membership.role, Perm.VIEW_CASE_NOTES)
    audit(actor_id=request.user.pk, org_id=staff.org_id, verb="caseload.viewed", target=staff)
    context = {
        "staff": staff,
        "own": staff.pk == request.membership.pk,
        "load": load,
        "due": [Shown(row, unseal(row) if reveal else "") for row in load.due],
        "reassign_form": form,
    }
    if form is None and not context["own"]:
        context["reassign_form"] = _reassign_form(request, staff)
    return TemplateResponse(request, "cases/caseload.html", context, status=status)


def _reassign_form(request: AuthedRequest, staff: Membership) -> ReassignForm:
    cases = Case.objects.open().filter(org_id=staff.org_id, manager_id=staff.user_id)
    others = actions.case_managers(staff.org_id).exclude(pk=staff.user_id)
    data = request.POST if request.method == "POST" else None
    return ReassignForm(data, cases=cases.select_related("client"), staff=others)


def _goals(case: Case) -> list[Goal]:
    return list(Goal.objects.filter(case=case).select_related("goal_type").order_by("pk"))


def _case_page(
    request: AuthedRequest,
    case: Case,
    *,
    goals_form: GoalsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    goals = _goals(case)
    consultations = list(
        Consultation.objects.filter(case=case)
        .select_related("contact", "topic", "recorded_by")
        .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.order_by("due_on")))
        .order_by("-contact__occurred_at", "-pk")[:RECENT_CONSULTATIONS]
    )
    pending = list(FollowUp.objects.pending().filter(case=case).order_by("due_on", "pk"))
    reveal = role_can(request.membership.role, Perm.VIEW_CASE_NOTES)
    shown_goals = [Shown(goal, unseal(goal) if reveal else "") for goal in goals]
    if case.is_open and goals_form is None:
        goals_form = GoalsForm(case=case, goals=goals)
    if reveal:
        audit(
            actor_id=request.user.pk, org_id=case.org_id, verb="case_notes.revealed", target=case
        )
    context = {
        "case": case,
        "site": case.site,
        "client": case.client,
        "today": case.site.local_today(),
        "goals": shown_goals,
        "goals_form": goals_form,
        "goal_rows": [(shown, goals_form.status_field(shown.row)) for shown in shown_goals]
        if goals_form
        else [],
        "consultations": [Shown(c, unseal(c) if reveal else "") for c in consultations],
        "follow_ups": [Shown(f, unseal(f) if reveal else "") for f in pending],
    }
    return TemplateResponse(request, "cases/case_detail.html", context, status=status)
