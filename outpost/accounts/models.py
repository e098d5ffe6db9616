"""Second-factor recovery codes and the register of staff sessions."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecoveryCode(models.Model):
    """One single-use code that stands in for the authenticator app.

    Only a salted password hash of the code is kept (ASVS 6.5.2); ``lookup``
    holds the first four characters so that a typed code is checked against
    one hash rather than all ten.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    lookup = models.CharField(max_length=4, db_index=True)
    code_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.lookup}… ({'used' if self.used_at else 'unused'})"


def new_public_id() -> str:
    return secrets.token_urlsafe(16)


class StaffSessionQuerySet(models.QuerySet["StaffSession"]):
    def live(self, now: datetime.datetime) -> "StaffSessionQuerySet":
        """Sessions not ended and still within the idle and absolute limits."""
        return self.filter(
            ended_at__isnull=True,
            created_at__gte=now - datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_LIMIT),
            last_seen_at__gte=now - datetime.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT),
        )


class StaffSession(models.Model):
    """A signed-in browser, so that staff and admins can see and end it.

    The Django session holds ``public_id``; a session whose row is ended or
    missing is refused on its next request (ASVS 7.4.1, 7.4.2, 7.4.5).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = StaffSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff session")
        verbose_name_plural = _("staff sessions")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
