"""Networks of organisations: which ones the user's organisation is in, and their reach.

Only members see a network; anyone else gets 404, as for a record of
another organisation. The figures follow the small-numbers rule
(``reports.network``) on every page, since they describe other
organisations' clients.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outpost.core.periods import Period, PeriodForm
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.models import Organisation
from outpost.reports.models import Network
from outpost.reports.network import network_figures
from outpost.reports.output import SMALL


@dataclass(frozen=True)
class Shortcut:
    label: str
    query: str


def get_network_for_user(request: AuthedRequest, slug: str) -> Network:
    return get_object_or_404(Network, slug=slug, members=request.membership.org_id)


@require_http_methods(["GET"])
@requires(Perm.VIEW_NETWORK)
def networks(request: AuthedRequest) -> HttpResponse:
    """The networks the user's organisation belongs to, with their members."""
    members = Organisation.objects.order_by("name")
    rows = (
        Network.objects.filter(members=request.membership.org_id)
        .order_by("name")
        .prefetch_related(Prefetch("members", queryset=members))
    )
    return TemplateResponse(request, "reports/networks.html", {"networks": rows})


@require_http_methods(["GET"])
@requires(Perm.VIEW_NETWORK)
def network(request: AuthedRequest, slug: str) -> HttpResponse:
    """One network's reach for a period, deduplicated by network key."""
    found = get_network_for_user(request, slug)
    today = request.membership.local_today()
    form = PeriodForm(request.GET or {"first": today.replace(day=1), "last": today})
    context: dict[str, object] = {
        "network": found,
        "form": form,
        "shortcuts": period_shortcuts(today),
        "small": SMALL,
    }
    if form.is_valid():
        viewer = request.membership.org_id
        context["figures"] = network_figures(found, form.period(), viewer)
    status = 200 if form.is_valid() else 400
    return TemplateResponse(request, "reports/network.html", context, status=status)


def period_shortcuts(today: datetime.date) -> list[Shortcut]:
    """Links for the usual periods: months, the last quarter, years."""
    month_start = today.replace(day=1)
    last_month_end = month_start - datetime.timedelta(days=1)
    quarter_start = month_start.replace(month=(today.month - 1) // 3 * 3 + 1)
    last_quarter_end = quarter_start - datetime.timedelta(days=1)
    last_quarter_start = last_quarter_end.replace(day=1, month=last_quarter_end.month - 2)
    year_start = today.replace(month=1, day=1)
    periods = [
        (_("This month"), Period(month_start, today)),
        (_("Last month"), Period(last_month_end.replace(day=1), last_month_end)),
        (_("Last quarter"), Period(last_quarter_start, last_quarter_end)),
        (_("This year"), Period(year_start, today)),
        (
            _("Last year"),
            Period(year_start.replace(year=today.year - 1), year_start - datetime.timedelta(1)),
        ),
    ]
    return [
        Shortcut(label, urlencode({"first": p.first.isoformat(), "last": p.last.isoformat()}))
        for label, p in periods
    ]
