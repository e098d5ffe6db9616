"""The manager's catalogue: items, kits and service types.

Nothing here deletes a row, because stock movements and contacts refer to
them; a manager retires a row by turning "in use" off.
"""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outpost.catalogue.forms import ItemForm, KitComponentFormSet, KitForm, ServiceTypeForm
from outpost.catalogue.models import Item, Kit, KitComponent, ServiceType
from outpost.core.pages import posted
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires

# Unprocessable Content: the form came back with errors.
INVALID = 422


def get_item_for_user(request: AuthedRequest, pk: int) -> Item:
    return get_object_or_404(Item, pk=pk, org_id=request.membership.org_id)


def get_kit_for_user(request: AuthedRequest, pk: int) -> Kit:
    return get_object_or_404(Kit, pk=pk, org_id=request.membership.org_id)


def get_service_type_for_user(request: AuthedRequest, pk: int) -> ServiceType:
    return get_object_or_404(ServiceType, pk=pk, org_id=request.membership.org_id)


@require_http_methods(["GET"])
@requires(Perm.MANAGE_CATALOGUE)
def index(request: AuthedRequest) -> HttpResponse:
    org_id = request.membership.org_id
    components = KitComponent.objects.select_related("item").order_by("item__name")
    context = {
        "items": Item.objects.filter(org_id=org_id).select_related("category"),
        "kits": Kit.objects.filter(org_id=org_id).prefetch_related(
            Prefetch("components", queryset=components)
        ),
        "service_types": ServiceType.objects.filter(org_id=org_id),
    }
    return TemplateResponse(request, "catalogue/index.html", context)


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_CATALOGUE)
def item_new(request: AuthedRequest) -> HttpResponse:
    return _item_page(request, Item(org_id=request.membership.org_id))


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_CATALOGUE)
def item_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _item_page(request, get_item_for_user(request, pk))


def _item_page(request: AuthedRequest, item: Item) -> HttpResponse:
    form = ItemForm(posted(request), instance=item)
    return _form_page(request, form, new_title=_("New item"), saved=_("The item is saved."))


def _form_page(
    request: AuthedRequest, form: ItemForm | ServiceTypeForm, *, new_title: str, saved: str
) -> HttpResponse:
    """Save a one-model catalogue form, or show it again with its errors."""
    title = form.instance.display_name
    if form.is_bound and form.is_valid():
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            form.add_error(None, _("Someone else changed the catalogue. Please try again."))
        else:
            messages.success(request, saved)
            return redirect("catalogue:index")
    return TemplateResponse(
        request,
        "catalogue/entry_form.html",
        {"form": form, "title": title, "new_title": new_title},
        status=INVALID if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_CATALOGUE)
def kit_new(request: AuthedRequest) -> HttpResponse:
    return _kit_page(request, Kit(org_id=request.membership.org_id))


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_CATALOGUE)
def kit_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _kit_page(request, get_kit_for_user(request, pk))


def _kit_page(request: AuthedRequest, kit: Kit) -> HttpResponse:
    title = kit.display_name
    is_new = kit.pk is None
    data = posted(request)
    form = KitForm(data, instance=kit)
    formset = KitComponentFormSet(data, instance=kit, prefix="components")
    if form.is_bound and all([form.is_valid(), formset.is_valid()]):
        try:
            with transaction.atomic():
                form.save()
                formset.save()
        except IntegrityError:
            if is_new:
                kit.pk = None
            form.add_error(None, _("Someone else changed the catalogue. Please try again."))
        else:
            messages.success(request, _("The kit is saved."))
            return redirect("catalogue:index")
    return TemplateResponse(
        request,
        "catalogue/kit_form.html",
        {"form": form, "formset": formset, "title": title},
        status=INVALID if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_CATALOGUE)
def service_new(request: AuthedRequest) -> HttpResponse:
    return _service_page(request, ServiceType(org_id=request.membership.org_id))


@require_http_methods(["GET", "POST"])
@requires(Perm.MANAGE_CATALOGUE)
def service_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _service_page(request, get_service_type_for_user(request, pk))


def _service_page(request: AuthedRequest, service_type: ServiceType) -> HttpResponse:
    form = ServiceTypeForm(posted(request), instance=service_type)
    return _form_page(
        request, form, new_title=_("New service type"), saved=_("The service type is saved.")
    )
