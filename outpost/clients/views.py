from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outpost.clients.access import get_client_for_user
from outpost.clients.actions import register_client
from outpost.clients.contact_details import reveal_contact_details, set_contact_details
from outpost.clients.duplicates import possible_duplicates
from outpost.clients.forms import ContactDetailsForm, RegistrationForm
from outpost.clients.models import ContactDetails
from outpost.core.errors import DomainError
from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, get_site_for_user, requires


@requires(Perm.REGISTER_CLIENT)
def client_register(request: AuthedRequest, site_id: int) -> HttpResponse:
    """Register a client by the parts of their code, after showing look-alikes."""
    site = get_site_for_user(request, site_id)
    today = site.local_today()
    form = RegistrationForm(request.POST or None, today=today)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        parts = form.parts
        duplicates = possible_duplicates(request.membership.org_id, parts)
        if not duplicates or form.cleaned_data["confirm_new"]:
            client, created = register_client(
                org=request.membership.org,
                parts=parts,
                groups=form.cleaned_data["groups"],
                worker=request.user,
            )
            if created:
                messages.success(request, _("Client %(code)s registered.") % {"code": client.code})
            else:
                messages.info(
                    request, _("Client %(code)s was already registered.") % {"code": client.code}
                )
            return redirect("contacts:visit", site_id=site.pk, client_id=client.pk)
    status = 422 if request.method == "POST" and not form.is_valid() else 200
    context = {"site": site, "form": form, "duplicates": duplicates, "code": form.preview_code()}
    return TemplateResponse(request, "clients/client_register.html", context, status=status)


@require_POST
@requires(Perm.REGISTER_CLIENT)
def code_preview(request: AuthedRequest, site_id: int) -> HttpResponse:
    """The code as it is being built, for the registration form.

    A POST keeps the parents' names out of URLs and server logs.
    """
    site = get_site_for_user(request, site_id)
    form = RegistrationForm(request.POST, today=site.local_today())
    return TemplateResponse(
        request, "clients/client_register.html#code-preview", {"code": form.preview_code()}
    )


@requires(Perm.VIEW_CONTACT_DETAILS)
def contact_details(request: AuthedRequest, site_id: int, client_id: int) -> HttpResponse:
    """Whether a client can be reached, and the details for those who must.

    Values are shown only after an explicit reveal or while editing, each
    time audited, and only in answer to a POST so they never sit in a URL.
    """
    site = get_site_for_user(request, site_id)
    client = get_client_for_user(request, client_id)
    stored = ContactDetails.objects.filter(client=client).first()
    form = ContactDetailsForm()
    revealed = None
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action in {"reveal", "edit"}:
        revealed = reveal_contact_details(client=client, worker=request.user)
        form = ContactDetailsForm(initial={"phone": revealed.phone, "telegram": revealed.telegram})
    elif action == "save":
        form = ContactDetailsForm(request.POST)
        if form.is_valid():
            try:
                set_contact_details(
                    client=client,
                    worker=request.user,
                    phone=form.cleaned_data["phone"],
                    telegram=form.cleaned_data["telegram"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Contact details saved."))
                return redirect("clients:contact_details", site_id=site.pk, client_id=client.pk)
        status = 422
    context = {
        "site": site,
        "client": client,
        "has_phone": bool(stored and stored.phone),
        "has_telegram": bool(stored and stored.telegram),
        "revealed": revealed,
        "editing": action in {"edit", "save"},
        "form": form,
    }
    return TemplateResponse(request, "clients/contact_details.html", context, status=status)
