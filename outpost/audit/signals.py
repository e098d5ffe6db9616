"""Receivers: sign-ins go into the audit trail, and its guard stays put.

Django announces sign-ins through signals, so these receivers are the only
place to hear them. Each writes exactly one entry and keeps no typed
username or password: a failed attempt names an account only by its id,
and only if the account exists.
"""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest

from outpost.core.audit import audit
from outpost.core.audit_guard import guard_installed, install_guard
from outpost.core.models import AuditEvent
from outpost.orgs.models import Membership

# The migration that first installs the guard.
GUARD_MIGRATION = ("core", "0005_make_audit_append_only")


def _org_id_of(user_id: int) -> int | None:
    # The same organisation MembershipMiddleware picks before any choice.
    return (
        Membership.objects.filter(user_id=user_id)
        .order_by("pk")
        .values_list("org_id", flat=True)
        .first()
    )


def record_login(
    sender: object, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: object
) -> None:
    audit(actor_id=user.pk, org_id=_org_id_of(user.pk), verb="auth.login")


def record_login_failure(
    sender: object,
    credentials: Mapping[str, object],
    request: HttpRequest | None = None,
    **kwargs: object,
) -> None:
    user_model = get_user_model()
    typed = credentials.get(user_model.USERNAME_FIELD)
    # The lookup ModelBackend makes; the typed value is used, never stored.
    user_id = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: typed})
        .values_list("pk", flat=True)
        .first()
        if isinstance(typed, str)
        else None
    )
    org_id = _org_id_of(user_id) if user_id is not None else None
    audit(actor_id=user_id, org_id=org_id, verb="auth.login_failed")


def record_logout(
    sender: object,
    request: HttpRequest | None,
    user: AbstractBaseUser | AnonymousUser | None,
    **kwargs: object,
) -> None:
    # Signing out without being signed in ends nothing, so leaves no entry.
    if user is None or not user.is_authenticated:
        return
    audit(actor_id=user.pk, org_id=_org_id_of(user.pk), verb="auth.logout")


def reinstall_guard(sender: object, using: str, **kwargs: object) -> None:
    """Put the append-only triggers back after ``migrate``.

    SQLite's schema editor alters a table by copying it, which drops its
    triggers; a later migration touching the audit table would otherwise
    leave it writable without anyone noticing.
    """
    connection = connections[using]
    if connection.vendor not in {"sqlite", "postgresql"}:
        return
    if AuditEvent._meta.db_table not in connection.introspection.table_names():
        return
    if GUARD_MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    if not guard_installed(connection):
        install_guard(connection)
