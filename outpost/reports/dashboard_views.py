"""The reports dashboard: the organisation's last twelve months at a glance."""

from collections.abc import Sequence
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from outpost.core.periods import Period
from outpost.core.roles import Perm, role_can
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.models import Site
from outpost.reports.dashboard import build_dashboard
from outpost.testing.forms import CascadeForm
from outpost.testing.models import Disease


@require_http_methods(["GET"])
@requires(Perm.VIEW_REPORTS)
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Monthly trends, this month's headline figures, the cascade and stock at risk."""
    membership = request.membership
    sites = list(Site.objects.filter(org_id=membership.org_id).order_by("name"))
    site = _chosen_site(request.GET.get("site", ""), sites)
    board = build_dashboard(
        org_id=membership.org_id,
        site_id=None if site is None else site.pk,
        today=membership.local_today(),
        with_cascade=role_can(membership.role, Perm.VIEW_CASCADE),
        with_stock=role_can(membership.role, Perm.VIEW_STOCK),
    )
    context = {
        "board": board,
        "sites": sites,
        "site": site,
        "cascade_link": _cascade_link(site, membership.site_id, board.cascade_period),
    }
    return TemplateResponse(request, "reports/dashboard.html", context)


def _chosen_site(raw: str, sites: Sequence[Site]) -> Site | None:
    """The ``?site=`` asked for, which must be one of the organisation's; none for all."""
    if not raw:
        return None
    site = next((site for site in sites if str(site.pk) == raw), None)
    if site is None:
        raise Http404
    return site


def _cascade_link(site: Site | None, own_site_id: int | None, period: Period) -> str:
    """The cascade page for the same period and scope; it lives under a site.

    For the whole organisation it opens under the person's own site with
    the organisation as scope; with no site of their own there is no link.
    """
    site_id = own_site_id if site is None else site.pk
    if site_id is None:
        return ""
    query = urlencode(
        {
            "disease": Disease.HIV,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "scope": CascadeForm.Scope.ORG if site is None else CascadeForm.Scope.SITE,
        }
    )
    return f"{reverse('testing:cascade', args=[site_id])}?{query}"
