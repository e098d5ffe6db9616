from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outpost.clients.actions import register_client
from outpost.clients.duplicates import possible_duplicates
from outpost.clients.forms import RegistrationForm
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
