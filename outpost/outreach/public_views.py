"""Where and when: open to anyone, without signing in; no client or staff data."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from outpost.orgs.models import Organisation
from outpost.outreach.timetable import as_json, timetable

# Stops change a few times a day; five minutes spares cheap phones and the
# server without showing a cancelled stop for long.
MAX_AGE_SECONDS = 300


def where(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Today's and this week's stops, and each site's hours and mode."""
    org = get_object_or_404(Organisation, slug=org_slug)
    context = {"org": org, "table": timetable(org)}
    response = TemplateResponse(request, "outreach/where.html", context)
    # The page carries a CSRF token for the language switch: browsers may
    # keep it, shared caches may not.
    patch_cache_control(response, private=True, max_age=MAX_AGE_SECONDS)
    return response


def where_json(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The same timetable as JSON, for the bot and partners' sites."""
    org = get_object_or_404(Organisation, slug=org_slug)
    response = JsonResponse({"organisation": org.name, **as_json(timetable(org))})
    patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    patch_vary_headers(response, ["Accept-Language"])
    return response
