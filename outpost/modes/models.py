import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import ServiceType
from outpost.orgs.models import Organisation, Site


class Mode(models.TextChoices):
    """How a site works (SPEC §6)."""

    NORMAL = "normal", _("Normal")
    RESTRICTED = "restricted", _("Restricted")
    REMOTE = "remote", _("Remote")
    CLOSED = "closed", _("Closed")


class ModeChangeQuerySet(models.QuerySet["ModeChange"]):
    def for_site_at(self, site: Site, moment: datetime.datetime) -> "ModeChangeQuerySet":
        """Changes at the site up to ``moment``, the one in force first."""
        return self.filter(site=site, changed_at__lte=moment).order_by("-changed_at", "-pk")


class ModeChange(models.Model):
    """A site entering a mode; the latest one up to a moment is in force then.

    A site with no change yet is in normal mode with no limit inside.
    """

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="mode_changes")
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    reason = models.CharField(_("reason"), max_length=500)
    capacity = models.PositiveSmallIntegerField(
        _("clients inside at once"),
        null=True,
        blank=True,
        help_text=_("Empty for no limit."),
    )
    services_inside = models.ManyToManyField(
        ServiceType, blank=True, related_name="+", verbose_name=_("services allowed inside")
    )
    changed_at = models.DateTimeField(_("from"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    objects = ModeChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("mode change")
        verbose_name_plural = _("mode changes")
        indexes = [models.Index(fields=["site", "changed_at"], name="mode_change_site_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=Mode.values), name="mode_change_known_mode"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gt=0),
                name="mode_change_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.get_mode_display()} · {self.changed_at:%Y-%m-%d %H:%M}"


class PpeConfirmation(models.Model):
    """A staff member confirming protective equipment at the start of a shift."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(help_text="The local date at the site.")
    confirmed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("protective equipment confirmation")
        verbose_name_plural = _("protective equipment confirmations")
        constraints = [
            models.UniqueConstraint(fields=["site", "worker", "date"], name="ppe_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.site} · {self.date}"
