"""Session limits, the second-factor gate and no-store caching.

See MIDDLEWARE in config/settings.py for where each one runs.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from outpost.accounts import session_keys
from outpost.accounts.actions import expire_staff_session, touch_staff_session
from outpost.accounts.otp import confirmed_device, is_verified

GetResponse = Callable[[HttpRequest], HttpResponse]

# What a signed-in person may open before the second factor.
OPEN_BEFORE_OTP = frozenset(
    {"logout", "set_language", "accounts:otp_verify", "accounts:otp_enrol"}
)
# Pages anyone may open that still must not be kept in a browser cache.
NO_STORE_VIEWS = OPEN_BEFORE_OTP | {"login"}


def _is_htmx(request: HttpRequest) -> bool:
    # HtmxMiddleware runs after these, so read the header directly.
    return request.headers.get("HX-Request") == "true"


def _go_to(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect, or have htmx load the page whole instead of into a fragment."""
    if _is_htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class SessionLimitsMiddleware:
    """End sessions that were idle too long, are too old, or were ended.

    Idle and absolute limits come from SESSION_IDLE_TIMEOUT and
    SESSION_ABSOLUTE_LIMIT (ASVS 7.3.1, 7.3.2); a StaffSession ended by its
    owner, an administrator or a deactivation is refused (ASVS 7.4).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            public_id = request.session.get(session_keys.STAFF_SESSION, "")
            now = timezone.now()
            if not touch_staff_session(public_id=public_id, user_id=user.pk, now=now):
                reason = expire_staff_session(public_id=public_id, user_id=user.pk, now=now)
                return self._sign_out(request, reason)
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        come_back = request.method == "GET" and not _is_htmx(request)
        next_path = request.get_full_path()
        logout(request)
        # MessageMiddleware runs after this one, so the sign-in page shows
        # the reason from the fresh session instead.
        request.session[session_keys.SIGNED_OUT_REASON] = reason
        response: HttpResponse
        if _is_htmx(request):
            response = HttpResponseClientRedirect(reverse("login"))
        elif come_back:
            response = redirect_to_login(next_path)
        else:
            response = redirect("login")
        # A shared device keeps nothing of the session; cookies stay, as the
        # new session carries the reason to the sign-in page.
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


class RequireOTPMiddleware:
    """Keep a password-only session to the second-factor pages (ASVS 6.3.3).

    When OTP_REQUIRED is false nothing changes. Static files never get here:
    WhiteNoise serves them earlier in the chain.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Sequence[object],
        view_kwargs: Mapping[str, object],
    ) -> HttpResponse | None:
        if not settings.OTP_REQUIRED:
            return None
        user = request.user
        if not user.is_authenticated or is_verified(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_OTP:
            return None
        step = "accounts:otp_verify" if confirmed_device(user.pk) else "accounts:otp_enrol"
        url = reverse(step)
        if request.method == "GET" and not _is_htmx(request):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return _go_to(request, url)


class NoStoreMiddleware:
    """Forbid caching anything a signed-in person sees (ASVS 14.3.2)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = request.resolver_match
        if (user is not None and user.is_authenticated) or (
            match is not None and match.view_name in NO_STORE_VIEWS
        ):
            add_never_cache_headers(response)
        return response
