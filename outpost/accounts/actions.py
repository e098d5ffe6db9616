"""Writes for signing in: second factors, recovery codes, sessions, staff.

Checks of a code are split in two. The inner function runs in one
transaction and records the attempt (django-otp's throttle, the audit
entry); the outer one raises ``OTPRefused`` after that transaction has
committed, so a refusal never rolls back the record of a wrong guess.
"""

import datetime
import enum
import re
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)

from outpost.accounts.errors import OTPRefused
from outpost.accounts.models import RecoveryCode, StaffSession
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.roles import Role
from outpost.orgs.models import Membership, User

RECOVERY_CODE_COUNT = 10
# 16 characters from 32 give 80 bits; I, O, 0 and 1 are left out because
# they are easy to misread on paper.
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 16
RECOVERY_LOOKUP_LENGTH = 4
TOTP_CODE = re.compile(r"[0-9]{6,8}")


class SignOutReason(enum.StrEnum):
    IDLE = "idle"
    ABSOLUTE = "absolute"
    ENDED = "ended"


class _Check(enum.Enum):
    PASSED = enum.auto()
    WRONG = enum.auto()
    THROTTLED = enum.auto()


# Recovery codes


def new_recovery_code() -> str:
    """A fresh code from the CSPRNG, grouped as ABCD-EFGH-JKLM-NPQR."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[start : start + 4] for start in range(0, RECOVERY_CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    """Drop spaces and dashes and upper-case, so codes may be typed loosely."""
    return "".join(text.split()).replace("-", "").upper()


@transaction.atomic
def issue_recovery_codes(*, user: User) -> list[str]:
    """Replace the person's recovery codes; the plain codes exist only in the reply."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(
            user=user,
            lookup=normalise_code(code)[:RECOVERY_LOOKUP_LENGTH],
            code_hash=make_password(normalise_code(code)),
        )
        for code in codes
    )
    return codes


def _use_recovery_code(*, user: User, code: str) -> RecoveryCode | None:
    candidates = RecoveryCode.objects.filter(
        user=user, lookup=code[:RECOVERY_LOOKUP_LENGTH], used_at__isnull=True
    )
    for candidate in candidates:
        if check_password(code, candidate.code_hash):
            # The conditional update makes a code good for one sign-in even
            # when two arrive at once.
            used = RecoveryCode.objects.filter(pk=candidate.pk, used_at__isnull=True).update(
                used_at=timezone.now()
            )
            return candidate if used else None
    return None


# Second factor


@transaction.atomic
def pending_device(*, user: User) -> TOTPDevice:
    """The person's authenticator waiting to be confirmed, made if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=gettext("Authenticator app"), confirmed=False
        )
    return device


@transaction.atomic
def _check_code(*, user: User, code: str, org_id: int | None) -> tuple[_Check, TOTPDevice | None]:
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=True)
        .order_by("pk")
        .first()
    )
    if device is None:
        return _Check.WRONG, None
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        audit(actor_id=user.pk, org_id=org_id, verb="otp.throttled", target=device)
        return _Check.THROTTLED, device
    normal = normalise_code(code)
    if TOTP_CODE.fullmatch(normal):
        # verify_token refuses a code at or before the last one used
        # (last_t) and counts the failure towards the throttle itself.
        if device.verify_token(normal):
            audit(actor_id=user.pk, org_id=org_id, verb="otp.verified", target=device)
            return _Check.PASSED, device
    elif len(normal) == RECOVERY_CODE_LENGTH:
        recovery = _use_recovery_code(user=user, code=normal)
        if recovery is not None:
            device.throttle_reset()
            audit(actor_id=user.pk, org_id=org_id, verb="otp.recovery_code_used", target=recovery)
            return _Check.PASSED, device
        device.throttle_increment()
    else:
        device.throttle_increment()
    audit(actor_id=user.pk, org_id=org_id, verb="otp.failed", target=device)
    return _Check.WRONG, device


def _refuse(check: _Check) -> OTPRefused:
    if check is _Check.THROTTLED:
        return OTPRefused(gettext("Too many wrong codes. Wait a few minutes, then try again."))
    return OTPRefused(gettext("That code is wrong or has already been used."))


def verify_second_factor(*, user: User, code: str, org_id: int | None) -> TOTPDevice:
    """Check an authenticator or recovery code; return the device to sign in with.

    Not atomic itself: see the module docstring.
    """
    check, device = _check_code(user=user, code=code, org_id=org_id)
    if check is not _Check.PASSED or device is None:
        raise _refuse(check)
    return device


@transaction.atomic
def _check_reset(
    *, user: User, password: str, code: str, org_id: int | None
) -> tuple[_Check, TOTPDevice | None]:
    if not user.check_password(password):
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is not None:
            device.throttle_increment()
        audit(actor_id=user.pk, org_id=org_id, verb="otp.reset_refused", target=user)
        return _Check.WRONG, None
    check, _ = _check_code(user=user, code=code, org_id=org_id)
    if check is not _Check.PASSED:
        return check, None
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = pending_device(user=user)
    audit(actor_id=user.pk, org_id=org_id, verb="otp.reset_started", target=device)
    return _Check.PASSED, device


def start_authenticator_reset(
    *, user: User, password: str, code: str, org_id: int | None
) -> TOTPDevice:
    """Re-authenticate the person, then make the authenticator that will replace theirs.

    The current authenticator keeps working until the new one is confirmed,
    so an abandoned reset locks nobody out (ASVS 7.5.1). Not atomic itself:
    see the module docstring.
    """
    check, device = _check_reset(user=user, password=password, code=code, org_id=org_id)
    if check is not _Check.PASSED or device is None:
        if check is _Check.THROTTLED:
            raise _refuse(check)
        raise OTPRefused(gettext("The password or the code is wrong."))
    return device


@transaction.atomic
def _confirm(
    *, user: User, device: TOTPDevice, code: str, keep_session_id: str, org_id: int | None
) -> list[str] | None:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not TOTP_CODE.fullmatch(normalise_code(code)) or not device.verify_token(
        normalise_code(code)
    ):
        return None
    replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
    is_reset = replaced.filter(confirmed=True).exists()
    replaced.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = issue_recovery_codes(user=user)
    audit(
        actor_id=user.pk,
        org_id=org_id,
        verb="otp.reset" if is_reset else "otp.enrolled",
        target=device,
    )
    if is_reset:
        # A reset often follows a lost phone: sessions elsewhere end too
        # (ASVS 7.4.3).
        end_other_sessions(user=user, keep_public_id=keep_session_id, org_id=org_id)
    return codes


def confirm_device(
    *, user: User, device: TOTPDevice, code: str, keep_session_id: str, org_id: int | None
) -> list[str]:
    """Confirm a new authenticator with a code from it; return new recovery codes.

    Any earlier authenticator is removed and, after a reset, the person's
    other sessions end. Not atomic itself: see the module docstring.
    """
    codes = _confirm(
        user=user, device=device, code=code, keep_session_id=keep_session_id, org_id=org_id
    )
    if codes is None:
        raise OTPRefused(
            gettext("That code is wrong. Check the time on your phone and try the newest code.")
        )
    return codes


# Sessions


@transaction.atomic
def start_staff_session(*, user: User, user_agent: str, replaces: str = "") -> StaffSession:
    """Register a newly signed-in browser; a session it replaces ends."""
    now = timezone.now()
    if replaces:
        StaffSession.objects.filter(public_id=replaces, user=user, ended_at__isnull=True).update(
            ended_at=now
        )
    return StaffSession.objects.create(
        user=user, user_agent=user_agent[:200], created_at=now, last_seen_at=now
    )


def touch_staff_session(*, public_id: str, user_id: int, now: datetime.datetime) -> bool:
    """Record a request on a live session; False if the session is over.

    One conditional UPDATE both checks the limits and moves last_seen_at,
    so the check costs a single query per request. A single statement is
    atomic already, so there is no transaction.atomic here.
    """
    if not public_id:
        return False
    updated = (
        StaffSession.objects.live(now)
        .filter(public_id=public_id, user_id=user_id)
        .update(last_seen_at=now)
    )
    return updated == 1


@transaction.atomic
def expire_staff_session(*, public_id: str, user_id: int, now: datetime.datetime) -> SignOutReason:
    """Close a session that failed its check and say why it ended."""
    staff_session = (
        StaffSession.objects.select_for_update()
        .filter(public_id=public_id, user_id=user_id)
        .first()
        if public_id
        else None
    )
    if staff_session is None or staff_session.ended_at is not None:
        return SignOutReason.ENDED
    started_before = now - datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_LIMIT)
    reason = (
        SignOutReason.ABSOLUTE if staff_session.created_at < started_before else SignOutReason.IDLE
    )
    staff_session.ended_at = now
    staff_session.save(update_fields=["ended_at"])
    audit(actor_id=user_id, org_id=None, verb=f"session.expired_{reason}", target=staff_session)
    return reason


@transaction.atomic
def end_staff_session(
    *, staff_session: StaffSession, org_id: int | None, audited: bool = True
) -> None:
    """End one of the person's own sessions; sign-out passes ``audited=False``.

    Signing out is already recorded from Django's user_logged_out signal.
    """
    StaffSession.objects.filter(pk=staff_session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    if audited:
        audit(
            actor_id=staff_session.user_id,
            org_id=org_id,
            verb="session.ended",
            target=staff_session,
        )


@transaction.atomic
def end_other_sessions(*, user: User, keep_public_id: str, org_id: int | None) -> int:
    """End every session of the person except the one in use; return how many."""
    ended = (
        StaffSession.objects.filter(user=user, ended_at__isnull=True)
        .exclude(public_id=keep_public_id)
        .update(ended_at=timezone.now())
    )
    if ended:
        audit(actor_id=user.pk, org_id=org_id, verb="sessions.others_ended", target=user)
    return ended


def _end_all_sessions(user: User) -> int:
    return StaffSession.objects.filter(user=user, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


# Staff, for an organisation's administrator


def _refuse_self(actor: User, membership: Membership, message: str) -> None:
    if membership.user_id == actor.pk:
        raise DomainError(message)


@transaction.atomic
def end_sessions_by_admin(*, actor: User, membership: Membership) -> int:
    """End every session of a member of the administrator's organisation."""
    ended = _end_all_sessions(membership.user)
    audit(
        actor_id=actor.pk,
        org_id=membership.org_id,
        verb="sessions.ended_by_admin",
        target=membership.user,
    )
    return ended


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Give a member another role; it applies from their next request."""
    _refuse_self(actor, membership, gettext("You cannot change your own role."))
    if role not in Role.values:
        raise DomainError(gettext("Choose one of the roles in the list."))
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        audit(
            actor_id=actor.pk,
            org_id=membership.org_id,
            verb="membership.role_changed",
            target=membership,
        )
    return membership


@transaction.atomic
def deactivate_member(*, actor: User, membership: Membership) -> User:
    """Stop a member from signing in and end their sessions (ASVS 7.4.2)."""
    _refuse_self(actor, membership, gettext("You cannot deactivate your own account."))
    user = membership.user
    if Membership.objects.filter(user=user).exclude(org_id=membership.org_id).exists():
        # The account is shared with another organisation, which this
        # administrator does not speak for.
        raise DomainError(
            gettext(
                "This account also works for another organisation, so it cannot be "
                "deactivated from here."
            )
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_all_sessions(user)
    audit(actor_id=actor.pk, org_id=membership.org_id, verb="user.deactivated", target=user)
    return user


@transaction.atomic
def reactivate_member(*, actor: User, membership: Membership) -> User:
    """Let a deactivated member sign in again."""
    user = membership.user
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit(actor_id=actor.pk, org_id=membership.org_id, verb="user.reactivated", target=user)
    return user
