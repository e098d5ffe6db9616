import datetime
from dataclasses import dataclass, replace

from django.contrib import messages
from django.db.models import Count, F, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from outpost.clients.access import get_client_for_user
from outpost.clients.models import Client
from outpost.contacts.models import ContactItem
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.pages import form_page
from outpost.core.periods import Period
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.orgs.models import Site
from outpost.testing import actions
from outpost.testing.access import get_art_course_for_user, get_referral_for_user
from outpost.testing.cascade import (
    CASCADES,
    COHORT_WINDOWS,
    Scope,
    Stage,
    cohort_cascade,
    period_cascade,
)
from outpost.testing.forms import (
    REGIMENS,
    ArtCourseForm,
    CascadeForm,
    CompletionForm,
    DeliveryForm,
    OutcomeForm,
    RapidTestForm,
    ReferralForm,
    SelfTestResultForm,
)
from outpost.testing.models import (
    SELF_TEST_CATEGORY,
    ArtCourse,
    Milestone,
    Referral,
    Result,
    Test,
)

DUE_WITHIN_DAYS = 7
HISTORY = 20


@requires(Perm.VIEW_TEST_RESULTS)
def client_record(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """A client's tests, referrals, outcomes and ART; each look is audited."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    actions.mark_lost_referrals(today=site.local_today(), org_id=site.org_id)
    audit(actor_id=request.user.pk, org_id=site.org_id, verb="tests.viewed", target=client)
    tests = Test.objects.filter(client=client).order_by("-tested_on", "-pk")
    referrals = Referral.objects.filter(client=client).order_by("-issued_on", "-pk")
    context = {
        "site": site,
        "client": client,
        "tests": tests[:HISTORY],
        "referrals": referrals[:HISTORY],
        "outcomes": Milestone.objects.filter(client=client).order_by("-occurred_on", "-pk"),
        "art": ArtCourse.objects.active().filter(client=client).first(),
        "open_self_tests": _open_self_tests(client).exists(),
    }
    return TemplateResponse(request, "testing/client_record.html", context)


@requires(Perm.RECORD_TEST)
def record_test(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Record a rapid test done on site: counselling, kit, result."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    form = RapidTestForm(request.POST or None, org_id=site.org_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            test = actions.record_rapid_test(
                site=site,
                worker=request.user,
                client=client,
                kit=data["kit"],
                result=data["result"],
                result_given=data["result_given"],
                pre_counselling=data["pre_counselling"],
                post_counselling=data["post_counselling"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Test saved: %(test)s, %(result)s.")
                % {"test": test.get_disease_display(), "result": test.get_result_display()},
            )
            return redirect("testing:client", site_id=site.pk, client_id=client.pk)
    context = {
        "site": site,
        "client": client,
        "form": form,
        "visit": actions.todays_contact(site, client),
    }
    return form_page(request, "testing/test_form.html", context)


@requires(Perm.RECORD_TEST)
def self_test_result(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Record the result a client reports for a self-test handed out to them."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    today = site.local_today()
    form = SelfTestResultForm(request.POST or None, handouts=_open_self_tests(client), today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_self_test_result(
                site=site,
                worker=request.user,
                client=client,
                handout=data["handout"],
                result=data["result"],
                reported_on=data["reported_on"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Self-test result saved."))
            return redirect("testing:client", site_id=site.pk, client_id=client.pk)
    return form_page(
        request, "testing/self_test_form.html", {"site": site, "client": client, "form": form}
    )


@requires(Perm.MANAGE_REFERRALS)
def refer(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Refer a client, from a reactive result (``?test=``) or from any contact."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    initial = {"test": request.GET.get("test", ""), "target": Referral.Target.CONFIRMATORY}
    form = ReferralForm(
        request.POST or None, client_id=client.pk, today=site.local_today(), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.refer_client(
                site=site,
                worker=request.user,
                client=client,
                target=data["target"],
                due_on=data["due_on"],
                test=data["test"],
                disease=data["disease"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Referral issued."))
            return redirect("testing:client", site_id=site.pk, client_id=client.pk)
    test = _reactive_test(client, request.POST.get("test") or request.GET.get("test", ""))
    if test is not None:
        audit(actor_id=request.user.pk, org_id=site.org_id, verb="test.viewed", target=test)
    context = {"site": site, "client": client, "form": form, "test": test}
    return form_page(request, "testing/referral_form.html", context)


@requires(Perm.MANAGE_REFERRALS)
def referral_complete(request: AuthedRequest, site_id: int, referral_id: int) -> HttpResponse:
    """Record that the client reached the service, and how that is known."""
    site = get_site_for_user(request, site_id)
    referral = get_referral_for_user(request, referral_id)
    if referral.status == Referral.Status.COMPLETED:
        # Shown as it was recorded; completing it again is refused.
        context = {
            "site": site,
            "referral": referral,
            "outcomes": referral.milestones.order_by("occurred_on", "pk"),
            "error": _("This referral is already completed.") if request.method == "POST" else "",
        }
        return form_page(request, "testing/referral_completed.html", context)
    form = CompletionForm(request.POST or None, referral=referral, today=site.local_today())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.complete_referral(
                referral=referral,
                worker=request.user,
                completed_on=data["completed_on"],
                confirmation=data["confirmation"],
                outcome=data["outcome"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Referral completed."))
            return redirect("testing:client", site_id=site.pk, client_id=referral.client_id)
    context = {"site": site, "referral": referral, "form": form}
    return form_page(request, "testing/referral_complete.html", context)


@requires(Perm.MANAGE_REFERRALS)
def outcome(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Record a step of care a service reported back."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    form = OutcomeForm(request.POST or None, initial={"occurred_on": site.local_today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_outcome(
                site=site,
                worker=request.user,
                client=client,
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Outcome saved."))
            return redirect("testing:client", site_id=site.pk, client_id=client.pk)
    return form_page(
        request, "testing/outcome_form.html", {"site": site, "client": client, "form": form}
    )


@requires(Perm.VIEW_TEST_RESULTS)
def referrals_due(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Open referrals due within a week or overdue, oldest first."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    actions.mark_lost_referrals(today=today, org_id=site.org_id)
    referrals = list(
        Referral.objects.open()
        .filter(site=site, due_on__lte=today + datetime.timedelta(DUE_WITHIN_DAYS))
        .select_related("client")
        .order_by("due_on", "issued_on", "pk")
    )
    audit(actor_id=request.user.pk, org_id=site.org_id, verb="referrals.listed", target=site)
    context = {"site": site, "today": today, "referrals": referrals}
    return TemplateResponse(request, "testing/referral_list.html", context)


@requires(Perm.MANAGE_ART)
def art_start(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Add a client to the list of clients on ART."""
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    today = site.local_today()
    initial = {"started_on": today, "next_due_on": today + datetime.timedelta(30)}
    form = ArtCourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.start_art(
                site=site,
                worker=request.user,
                client=client,
                started_on=data["started_on"],
                regimen=data["regimen"],
                days_per_supply=data["days_per_supply"],
                next_due_on=data["next_due_on"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Client added to the clients on ART."))
            return redirect("testing:client", site_id=site.pk, client_id=client.pk)
    context = {"site": site, "client": client, "form": form, "regimens": REGIMENS}
    return form_page(request, "testing/art_form.html", context)


@requires(Perm.MANAGE_ART)
def art_due(request: AuthedRequest, site_id: int) -> HttpResponse:
    """ART supplies due within a week, or overdue, at this site."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    courses = list(
        ArtCourse.objects.due_by(today + datetime.timedelta(DUE_WITHIN_DAYS))
        .filter(site=site)
        .select_related("client")
        .order_by("next_due_on", "pk")
    )
    audit(actor_id=request.user.pk, org_id=site.org_id, verb="art.listed", target=site)
    context = {"site": site, "today": today, "courses": courses}
    return TemplateResponse(request, "testing/art_list.html", context)


@requires(Perm.MANAGE_ART)
def art_deliver(request: AuthedRequest, site_id: int, course_id: int) -> HttpResponse:
    """Record an ART supply delivered to the client by courier."""
    site = get_site_for_user(request, site_id)
    course = get_art_course_for_user(request, course_id)
    form = DeliveryForm(request.POST or None, initial={"days_supplied": course.days_per_supply})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_art_delivery(
                site=site,
                worker=request.user,
                course=course,
                days_supplied=data["days_supplied"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Delivery recorded: %(code)s.") % {"code": course.client.code}
            )
            return redirect("testing:art_due", site_id=site.pk)
    return form_page(
        request, "testing/delivery_form.html", {"site": site, "course": course, "form": form}
    )


@dataclass(frozen=True)
class Bar:
    """One stage drawn as a bar, in the chart's own units."""

    stage: Stage
    y: int
    width: int
    share: int  # percent of the first stage


@dataclass(frozen=True)
class Table:
    title: str
    bars: list[Bar]
    height: int
    # Said above a cohort whose follow-up window has not ended yet.
    note: str = ""


BAR_ROW = 28
BAR_MAX = 300


@requires(Perm.VIEW_CASCADE)
def cascade(request: AuthedRequest, site_id: int) -> HttpResponse:
    """The HIV or HCV cascade for a period and scope, as counts and as cohorts."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    defaults = {"disease": "hiv", "first": today.replace(day=1), "last": today, "scope": "site"}
    form = CascadeForm(request.GET or defaults)
    tables: list[Table] = []
    if form.is_valid():
        stages = CASCADES[form.cleaned_data["disease"]]
        scope = _scope(site, form.cleaned_data["scope"])
        period = form.period()
        tables.append(_table(_("Events in the period"), period_cascade(stages, scope, period)))
        for days in COHORT_WINDOWS:
            title = _("Clients tested in the period, followed for %(days)d days") % {"days": days}
            table = _table(title, cohort_cascade(stages, scope, period, days))
            tables.append(replace(table, note=_follow_up_note(period, days, today)))
    status = 200 if form.is_valid() else 400
    return TemplateResponse(
        request,
        "testing/cascade.html",
        {"site": site, "form": form, "tables": tables},
        status=status,
    )


def _scope(site: Site, choice: str) -> Scope:
    if choice == CascadeForm.Scope.ORG:
        return Scope(org_id=site.org_id)
    return Scope(org_id=site.org_id, site_id=site.pk)


def _follow_up_note(period: Period, days: int, today: datetime.date) -> str:
    """Warn while a cohort's window is still open: its later stages may yet grow.

    The window of a client tested on the period's last day runs to ``days``
    days later, that day included.
    """
    ends_on = period.last + datetime.timedelta(days)
    if ends_on < today:
        return ""
    return _(
        "Follow-up not over until %(date)s: clients tested late in the period may still "
        "reach the later stages, so these figures can still grow."
    ) % {"date": ends_on.isoformat()}


def _table(title: str, stages: list[Stage]) -> Table:
    top = stages[0].clients if stages else 0
    bars = [
        Bar(
            stage=stage,
            y=index * BAR_ROW,
            width=round(BAR_MAX * stage.clients / top) if top else 0,
            share=round(100 * stage.clients / top) if top else 0,
        )
        for index, stage in enumerate(stages)
    ]
    return Table(title=title, bars=bars, height=len(bars) * BAR_ROW)


def _reactive_test(client: Client, raw_id: str) -> Test | None:
    if not raw_id.isdigit():
        return None
    return Test.objects.filter(client=client, pk=int(raw_id), result=Result.REACTIVE).first()


def _open_self_tests(client: Client) -> QuerySet[ContactItem]:
    """Self-test hand-outs of the client with a result still to come."""
    return (
        ContactItem.objects.filter(contact__client=client, item__category__code=SELF_TEST_CATEGORY)
        .annotate(reported=Count("reported_tests"))
        .filter(quantity__gt=F("reported"))
        .select_related("contact", "item")
        .order_by("-contact__date", "-pk")
    )
