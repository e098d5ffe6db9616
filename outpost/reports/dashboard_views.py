"""The reports dashboard: the organisation's last twelve months at a glance."""

import datetime
import zoneinfo
from collections.abc import Sequence
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from outpost.core.periods import Period
from outpost.core.roles import Perm, role_can
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.models import Membership, Site
from outpost.reports.dashboard import Asked, build_dashboard, forget
from outpost.testing.forms import CascadeForm
from outpost.testing.models import Disease


@require_http_methods(["GET", "POST"])
@requires(Perm.VIEW_REPORTS)
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Monthly trends, this month's headline figures, the cascade and stock at risk.

    The figures are computed at most every few minutes (``reports.dashboard``);
    a POST from someone who configures the reports computes them now.
    """
    membership = request.membership
    sites = list(Site.objects.filter(org_id=membership.org_id).order_by("name"))
    site = _chosen_site(request.GET.get("site", ""), sites)
    asked = Asked(
        org_id=membership.org_id,
        site_id=None if site is None else site.pk,
        today=membership.local_today(),
        with_cascade=role_can(membership.role, Perm.VIEW_CASCADE),
        with_stock=role_can(membership.role, Perm.VIEW_STOCK),
    )
    if request.method == "POST":
        if role_can(membership.role, Perm.CONFIGURE_REPORTS):
            forget(asked)
        return HttpResponseRedirect(request.get_full_path())
    board = build_dashboard(asked)
    context = {
        "board": board,
        "sites": sites,
        "site": site,
        "as_of": _local_time(board.computed_at, membership),
        "cascade_link": _cascade_link(site, membership.site_id, board.cascade_period),
    }
    return TemplateResponse(request, "reports/dashboard.html", context)


def _local_time(moment: datetime.datetime, membership: Membership) -> datetime.time:
    """The time of day where the person works, as their "today" is (``local_today``).

    A time rather than a datetime: the template would turn a datetime back
    into the server's zone.
    """
    zone = zoneinfo.ZoneInfo(membership.site.timezone) if membership.site else None
    return timezone.localtime(moment, zone).time()


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
