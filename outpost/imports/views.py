"""The import pages: upload with the list of imports, and one import's progress and errors."""

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from outpost.core.errors import DomainError
from outpost.core.pages import form_page, posted
from outpost.core.roles import Perm
from outpost.imports.actions import (
    earlier_import,
    import_for_real,
    new_batch,
    start_import,
    store_file,
)
from outpost.imports.forms import UploadForm
from outpost.imports.models import ImportBatch
from outpost.orgs.access import AuthedRequest, requires

DETAIL = "imports/detail.html"
RECENT = 50


def get_batch_for_user(request: AuthedRequest, batch_id: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.select_related("uploaded_by"),
        pk=batch_id,
        org_id=request.membership.org_id,
    )


@require_http_methods(["GET", "POST"])
@requires(Perm.IMPORT_DATA)
def index(request: AuthedRequest) -> HttpResponse:
    """Upload a file to check or import, and the organisation's recent imports."""
    form = UploadForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload: UploadedFile = form.cleaned_data["file"]
        name = upload.name or ""
        head = upload.read(8)
        try:
            # chunks() starts again from the beginning.
            stored_name, sha256 = store_file(name, upload.size or 0, head, upload.chunks())
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            with transaction.atomic():
                batch = new_batch(
                    org_id=request.membership.org_id,
                    user=request.user,
                    file_name=name,
                    stored_name=stored_name,
                    sha256=sha256,
                    dry_run=form.cleaned_data["dry_run"],
                )
                start_import(batch.pk)
            return redirect("imports:detail", batch_id=batch.pk)
    batches = ImportBatch.objects.filter(org_id=request.membership.org_id).select_related(
        "uploaded_by"
    )
    context = {"form": form, "batches": batches.order_by("-created_at", "-pk")[:RECENT]}
    return form_page(request, "imports/index.html", context)


@require_http_methods(["GET", "POST"])
@requires(Perm.IMPORT_DATA)
@vary_on_headers("HX-Request")
def detail(request: AuthedRequest, batch_id: int) -> HttpResponse:
    """An import's progress, refreshed every 2 s while it runs; POST imports a clean dry run."""
    batch = get_batch_for_user(request, batch_id)
    if request.method == "POST":
        try:
            with transaction.atomic():
                real = import_for_real(batch, request.user)
                start_import(real.pk)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("imports:detail", batch_id=batch.pk)
        messages.success(request, _("The import has started."))
        return redirect("imports:detail", batch_id=real.pk)
    context = {"batch": batch, "earlier": earlier_import(batch)}
    if request.headers.get("HX-Request") == "true":
        return TemplateResponse(request, DETAIL + "#status", context)
    return TemplateResponse(request, DETAIL, context)
