"""Signing in and out, the second factor, sessions and staff."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)

from outpost.accounts import session_keys
from outpost.accounts.actions import (
    SignOutReason,
    change_role,
    confirm_device,
    deactivate_member,
    end_other_sessions,
    end_sessions_by_admin,
    end_staff_session,
    pending_device,
    reactivate_member,
    start_authenticator_reset,
    verify_second_factor,
)
from outpost.accounts.errors import OTPRefused
from outpost.accounts.forms import CodeForm, ResetAuthenticatorForm, RoleForm
from outpost.accounts.models import StaffSession
from outpost.accounts.otp import (
    confirmed_device,
    is_verified,
    manual_key,
    qr_data_uri,
    reset_device,
)
from outpost.core.errors import DomainError
from outpost.core.roles import Perm, Role
from outpost.orgs.access import AuthedRequest, requires
from outpost.orgs.models import Membership, User


class SignedInRequest(HttpRequest):
    """A request from a signed-in person, with or without a membership."""

    user: User


# Helpers


def _org_id(request: HttpRequest) -> int | None:
    membership = getattr(request, "membership", None)
    return None if membership is None else membership.org_id


def _next_url(request: HttpRequest) -> str:
    """The local page to go to afterwards, or "" for a missing or foreign one."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _landing(next_url: str) -> str:
    return next_url or resolve_url(settings.LOGIN_REDIRECT_URL)


def _mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """Record the second factor in the session, as django_otp.login does."""
    otp_login(request, device)
    # A new session key at each step up in trust (ASVS 7.2.4).
    request.session.cycle_key()


def _signed_out_message(reason: str) -> str:
    if reason == SignOutReason.IDLE:
        minutes = max(1, settings.SESSION_IDLE_TIMEOUT // 60)
        return ngettext(
            "You were signed out after %(minutes)d minute without activity.",
            "You were signed out after %(minutes)d minutes without activity.",
            minutes,
        ) % {"minutes": minutes}
    if reason == SignOutReason.ABSOLUTE:
        limit = settings.SESSION_ABSOLUTE_LIMIT
        if limit % 3600 == 0:
            hours = limit // 3600
            return ngettext(
                "You were signed out %(hours)d hour after signing in. Please sign in again.",
                "You were signed out %(hours)d hours after signing in. Please sign in again.",
                hours,
            ) % {"hours": hours}
        minutes = max(1, limit // 60)
        return ngettext(
            "You were signed out %(minutes)d minute after signing in. Please sign in again.",
            "You were signed out %(minutes)d minutes after signing in. Please sign in again.",
            minutes,
        ) % {"minutes": minutes}
    return gettext("This session was ended. Please sign in again.")


# Signing in and out


@sensitive_post_parameters("password")
@csrf_protect
def sign_in(request: HttpRequest) -> HttpResponse:
    """Check the password, then send the person to their second factor.

    django-axes counts failures through authenticate(request=...); a wrong
    password and an unknown username get the same reply.
    """
    next_url = _next_url(request)
    reason = request.session.pop(session_keys.SIGNED_OUT_REASON, None)
    if reason is not None:
        messages.info(request, _signed_out_message(reason))
    if request.method == "POST":
        form = AuthenticationForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            auth_login(request, user)
            if not settings.OTP_REQUIRED:
                return redirect(_landing(next_url))
            step = "accounts:otp_verify" if confirmed_device(user.pk) else "accounts:otp_enrol"
            return redirect(_with_next(reverse(step), next_url))
    else:
        form = AuthenticationForm(request)
    return TemplateResponse(request, "registration/login.html", {"form": form, "next": next_url})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the session here and on the server, and clear the browser (ASVS 14.3.1)."""
    public_id = request.session.get(session_keys.STAFF_SESSION, "")
    if request.user.is_authenticated and public_id:
        staff_session = StaffSession.objects.filter(
            public_id=public_id, user_id=request.user.pk
        ).first()
        if staff_session is not None:
            end_staff_session(staff_session=staff_session, org_id=_org_id(request), audited=False)
    auth_logout(request)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


# Second factor


@login_required
def otp_verify(request: SignedInRequest) -> HttpResponse:
    """Ask for a code from the authenticator app, or a recovery code."""
    next_url = _next_url(request)
    if is_verified(request):
        return redirect(_landing(next_url))
    if confirmed_device(request.user.pk) is None:
        return redirect(_with_next(reverse("accounts:otp_enrol"), next_url))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = verify_second_factor(
                user=request.user, code=form.cleaned_data["code"], org_id=_org_id(request)
            )
        except OTPRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            _mark_verified(request, device)
            return redirect(_landing(next_url))
    context = {
        "form": form,
        "next": next_url,
        "use_recovery_code": request.GET.get("method") == "recovery",
    }
    return TemplateResponse(request, "accounts/otp_verify.html", context)


def _device_to_enrol(request: SignedInRequest) -> TOTPDevice | None:
    """The authenticator this person may set up now, if any.

    Someone who already has one may enrol another only during a reset,
    which needs their password and a current code first.
    """
    device_id = request.session.get(session_keys.RESET_DEVICE)
    if device_id is not None:
        device = reset_device(user_id=request.user.pk, device_id=device_id)
        if device is not None:
            return device
        del request.session[session_keys.RESET_DEVICE]
    if confirmed_device(request.user.pk) is not None:
        return None
    return pending_device(user=request.user)


@login_required
def otp_enrol(request: SignedInRequest) -> HttpResponse:
    """Show the QR code and key for a new authenticator and confirm it with a code."""
    next_url = _next_url(request)
    device = _device_to_enrol(request)
    if device is None:
        step = "accounts:otp_reset" if is_verified(request) else "accounts:otp_verify"
        return redirect(_with_next(reverse(step), next_url))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            codes = confirm_device(
                user=request.user,
                device=device,
                code=form.cleaned_data["code"],
                keep_session_id=request.session.get(session_keys.STAFF_SESSION, ""),
                org_id=_org_id(request),
            )
        except OTPRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            request.session.pop(session_keys.RESET_DEVICE, None)
            _mark_verified(request, device)
            # The codes go out in this reply only, not through a redirect,
            # so they are never stored anywhere in plain text.
            return TemplateResponse(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _landing(next_url)},
            )
    context = {
        "form": form,
        "next": next_url,
        "qr": qr_data_uri(device),
        "key": manual_key(device),
        "resetting": session_keys.RESET_DEVICE in request.session,
    }
    return TemplateResponse(request, "accounts/otp_enrol.html", context)


@sensitive_post_parameters("password")
@login_required
def otp_reset(request: SignedInRequest) -> HttpResponse:
    """Replace the authenticator after re-entering the password and a code."""
    if confirmed_device(request.user.pk) is None:
        return redirect("accounts:otp_enrol")
    form = ResetAuthenticatorForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = start_authenticator_reset(
                user=request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                org_id=_org_id(request),
            )
        except OTPRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            request.session[session_keys.RESET_DEVICE] = device.pk
            return redirect("accounts:otp_enrol")
    return TemplateResponse(request, "accounts/otp_reset.html", {"form": form})


# The person's own sessions


@login_required
def session_list(request: SignedInRequest) -> HttpResponse:
    """List the person's live sessions (ASVS 7.5.2)."""
    sessions = (
        StaffSession.objects.live(timezone.now())
        .filter(user=request.user)
        .order_by("-last_seen_at")
    )
    context = {
        "sessions": sessions,
        "current_id": request.session.get(session_keys.STAFF_SESSION, ""),
    }
    return TemplateResponse(request, "accounts/session_list.html", context)


@login_required
@require_POST
def session_end(request: SignedInRequest, session_id: int) -> HttpResponse:
    """End one of the person's sessions; ending this one signs out here."""
    staff_session = get_object_or_404(
        StaffSession, pk=session_id, user=request.user, ended_at__isnull=True
    )
    end_staff_session(staff_session=staff_session, org_id=_org_id(request))
    if staff_session.public_id == request.session.get(session_keys.STAFF_SESSION):
        auth_logout(request)
        return redirect("login")
    messages.success(request, gettext("The session was ended."))
    return redirect("accounts:sessions")


@login_required
@require_POST
def sessions_end_others(request: SignedInRequest) -> HttpResponse:
    """End every session of the person except this one."""
    ended = end_other_sessions(
        user=request.user,
        keep_public_id=request.session.get(session_keys.STAFF_SESSION, ""),
        org_id=_org_id(request),
    )
    messages.success(
        request,
        ngettext(
            "%(count)d other session was ended.", "%(count)d other sessions were ended.", ended
        )
        % {"count": ended},
    )
    return redirect("accounts:sessions")


# Staff of the administrator's organisation


def get_membership_for_user(request: AuthedRequest, membership_id: int) -> Membership:
    """A membership of the administrator's organisation, or 404."""
    return get_object_or_404(
        Membership.objects.select_related("user"),
        pk=membership_id,
        org_id=request.membership.org_id,
    )


@requires(Perm.MANAGE_STAFF)
def staff_list(request: AuthedRequest) -> HttpResponse:
    """Staff of the organisation, their roles and when they were last seen."""
    live = StaffSession.objects.live(timezone.now()).values("pk")
    memberships = (
        Membership.objects.filter(org_id=request.membership.org_id)
        .select_related("user")
        .annotate(
            last_seen=Max("user__staff_sessions__last_seen_at"),
            live_sessions=Count("user__staff_sessions", filter=Q(user__staff_sessions__in=live)),
        )
        .order_by("user__username")
    )
    context = {"memberships": memberships, "roles": Role.choices}
    return TemplateResponse(request, "accounts/staff_list.html", context)


def _staff_done(request: AuthedRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("accounts:staff")


def _staff_refused(request: AuthedRequest, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("accounts:staff")


@requires(Perm.MANAGE_STAFF)
@require_POST
def staff_role(request: AuthedRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _staff_refused(
            request, DomainError(gettext("Choose one of the roles in the list."))
        )
    try:
        change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"])
    except DomainError as error:
        return _staff_refused(request, error)
    return _staff_done(
        request,
        gettext("%(name)s is now: %(role)s.")
        % {"name": membership.user.get_username(), "role": membership.get_role_display()},
    )


@requires(Perm.MANAGE_STAFF)
@require_POST
def staff_deactivate(request: AuthedRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    try:
        deactivate_member(actor=request.user, membership=membership)
    except DomainError as error:
        return _staff_refused(request, error)
    return _staff_done(
        request,
        gettext("%(name)s can no longer sign in, and their sessions have ended.")
        % {"name": membership.user.get_username()},
    )


@requires(Perm.MANAGE_STAFF)
@require_POST
def staff_reactivate(request: AuthedRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    reactivate_member(actor=request.user, membership=membership)
    return _staff_done(
        request,
        gettext("%(name)s can sign in again.") % {"name": membership.user.get_username()},
    )


@requires(Perm.MANAGE_STAFF)
@require_POST
def staff_end_sessions(request: AuthedRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    ended = end_sessions_by_admin(actor=request.user, membership=membership)
    return _staff_done(
        request,
        ngettext(
            "%(count)d session of %(name)s was ended.",
            "%(count)d sessions of %(name)s were ended.",
            ended,
        )
        % {"count": ended, "name": membership.user.get_username()},
    )
