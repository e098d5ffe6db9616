"""The organisation's audit trail, for managers: search and CSV export.

Only ids, verbs and usernames are shown, as in the entries themselves.
"""

import csv
import datetime
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from outpost.audit.forms import VERB_LABELS, AuditFilterForm
from outpost.core.audit import audit
from outpost.core.lib.spreadsheets import text_safe
from outpost.core.models import AuditEvent
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires

PER_PAGE = 50
# Unprocessable Content: the filters came back with errors.
INVALID = 422
EXPORT_CHUNK = 2000


def _filter_form(request: AuthedRequest) -> AuditFilterForm:
    org_id = request.membership.org_id
    pairs = (
        AuditEvent.objects.filter(org_id=org_id)
        .order_by()
        .values_list("verb", "target_type")
        .distinct()
    )
    verbs, target_types = set(), set()
    for verb, target_type in pairs:
        verbs.add(verb)
        if target_type:
            target_types.add(target_type)
    return AuditFilterForm(
        request.GET or None,
        org_id=org_id,
        verbs=sorted(verbs),
        target_types=sorted(target_types),
    )


def _entries(request: AuthedRequest, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    entries = AuditEvent.objects.filter(org_id=request.membership.org_id)
    if form.is_bound:
        entries = form.apply(entries)
    return entries.select_related("actor").order_by("-seq")


def _invalid(request: AuthedRequest, form: AuditFilterForm) -> HttpResponse:
    context = {"form": form, "rows": [], "page": 1}
    return TemplateResponse(request, "audit/auditevent_search.html", context, status=INVALID)


@require_GET
@requires(Perm.VIEW_AUDIT)
def search(request: AuthedRequest) -> HttpResponse:
    """The organisation's entries, newest first, 50 a page."""
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return _invalid(request, form)
    page = _page_number(request.GET.get("page"))
    offset = (page - 1) * PER_PAGE
    # One row past the page tells whether an older page exists, without
    # counting the whole trail.
    rows = list(_entries(request, form)[offset : offset + PER_PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "rows": [(entry, VERB_LABELS.get(entry.verb, entry.verb)) for entry in rows[:PER_PAGE]],
        "page": page,
        "newer_page": page - 1 if page > 1 else None,
        "older_page": page + 1 if len(rows) > PER_PAGE else None,
        "query": query.urlencode(),
    }
    return TemplateResponse(request, "audit/auditevent_search.html", context)


def _page_number(raw: str | None) -> int:
    if raw is None or not raw.isdigit():
        return 1
    return max(1, min(int(raw), 1_000_000))


@require_GET
@requires(Perm.VIEW_AUDIT)
def export(request: AuthedRequest) -> HttpResponseBase:
    """The filtered entries as CSV, streamed; the export itself is audited."""
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return _invalid(request, form)
    audit(actor_id=request.user.pk, org_id=request.membership.org_id, verb="audit.exported")
    entries = _entries(request, form)
    filename = f"audit-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    """A file-like object whose write returns the line csv gives it."""

    def write(self, value: str) -> str:
        return value


def _csv_rows(entries: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            _("Number"),
            _("Time (UTC)"),
            _("Staff member"),
            _("Action"),
            _("Record type"),
            _("Record id"),
            _("Request id"),
        ]
    )
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        actor = entry.actor.username if entry.actor is not None else ""
        row = [
            str(entry.seq),
            entry.at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            actor,
            entry.verb,
            entry.target_type,
            "" if entry.target_id is None else str(entry.target_id),
            entry.request_id,
        ]
        yield writer.writerow([text_safe(cell) for cell in row])
