from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from outpost.core.roles import Perm
from outpost.orgs.access import AuthedRequest, requires
from outpost.vault.actions import lock_vault
from outpost.vault.forms import LockForm


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password", "otp_token")
@never_cache
@requires(Perm.LOCK_SYSTEM)
def lock(request: AuthedRequest) -> HttpResponse:
    """Confirm with password and TOTP code, then lock the whole server."""
    form = LockForm(request.POST or None, request=request, user=request.user)
    if request.method == "POST" and form.is_valid():
        lock_vault(actor_id=request.user.pk, org_id=request.membership.org_id)
        # lock_vault deleted every session row; flushing this request's own
        # session stops the middleware from saving it back.
        logout(request)
        # The next request, this one's redirect included, gets the neutral page.
        return redirect("home")
    return TemplateResponse(request, "vault/lock.html", {"form": form})
