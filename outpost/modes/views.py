from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outpost.core.errors import DomainError
from outpost.core.pages import form_page
from outpost.core.roles import Perm
from outpost.modes.actions import change_mode, confirm_ppe, set_opening_hours
from outpost.modes.forms import ModeChangeForm, OpeningHoursForm
from outpost.modes.models import ModeChange
from outpost.modes.policy import mode_change_at, policy_at
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires
from outpost.orgs.models import OpeningHours

HISTORY_LENGTH = 50


@requires(Perm.MANAGE_MODES)
def site_mode(request: AuthedRequest, site_id: int) -> HttpResponse:
    """A site's operating mode: change it with a reason, and its history."""
    site = get_site_for_user(request, site_id)
    form = ModeChangeForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = change_mode(
                site=site,
                manager=request.user,
                mode=data["mode"],
                reason=data["reason"],
                capacity=data["capacity"],
                services_inside=list(data["services_inside"]),
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("%(site)s is now in %(mode)s mode.") % _named(site.name, change)
            )
            return redirect("modes:site", site_id=site.pk)
    history = (
        ModeChange.objects.filter(site=site)
        .select_related("changed_by")
        .prefetch_related("services_inside")
        .order_by("-changed_at", "-pk")[:HISTORY_LENGTH]
    )
    context = {
        "site": site,
        "form": form,
        "current": mode_change_at(site),
        "policy": policy_at(site),
        "history": history,
        "hours": OpeningHours.objects.filter(site=site),
    }
    return form_page(request, "modes/site_mode.html", context)


def _named(site_name: str, change: ModeChange) -> dict[str, str]:
    return {"site": site_name, "mode": str(change.get_mode_display()).lower()}


@requires(Perm.MANAGE_MODES)
def opening_hours(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Edit the days and hours a site is open."""
    site = get_site_for_user(request, site_id)
    form = OpeningHoursForm(request.POST or None, hours=list(site.opening_hours.all()))
    if request.method == "POST" and form.is_valid():
        try:
            set_opening_hours(site=site, manager=request.user, hours=form.hours())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Opening hours saved."))
            return redirect("modes:site", site_id=site.pk)
    return form_page(request, "modes/openinghours_form.html", {"site": site, "form": form})


@require_POST
@requires(Perm.RECORD_CONTACT)
def ppe(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Confirm a mask and gloves for today's shift, then go back where the worker was."""
    site = get_site_for_user(request, site_id)
    confirm_ppe(site=site, worker=request.user)
    messages.success(request, _("Protective equipment confirmed for today's shift."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("contacts:entry", site_id=site.pk)
    return redirect(next_url)
