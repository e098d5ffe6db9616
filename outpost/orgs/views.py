from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from outpost.core.roles import Perm, Role, role_can
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.forms import LanguageForm
from outpost.orgs.models import Site


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership is None:
        return TemplateResponse(request, "orgs/no_membership.html", status=403)
    if membership.role == Role.CASE_MANAGER:
        return redirect("cases:caseload")
    if not role_can(membership.role, Perm.VIEW_TODAY):
        if role_can(membership.role, Perm.DELIVER):
            return redirect("delivery:route")
        return TemplateResponse(request, "orgs/role_home.html")
    if membership.site_id is not None:
        return redirect("contacts:today", site_id=membership.site_id)
    return redirect("orgs:sites")


@requires(Perm.VIEW_TODAY)
def site_list(request: AuthedRequest) -> HttpResponse:
    sites = Site.objects.for_org(request.membership.org_id).order_by("name")
    return TemplateResponse(request, "orgs/site_list.html", {"sites": sites})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in person keeps the choice."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    language = form.cleaned_data["language"]
    next_url = form.cleaned_data["next"] or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
