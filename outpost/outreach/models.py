from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from outpost.inventory.models import Location, Stocktake
from outpost.orgs.models import Organisation


class StopQuerySet(models.QuerySet["Stop"]):
    def planned(self) -> "StopQuerySet":
        return self.filter(is_cancelled=False)


class Stop(models.Model):
    """Where and when a mobile unit stands: public, so it names no one."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stops", verbose_name=_("mobile unit")
    )
    place = models.CharField(_("place"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    date = models.DateField(_("day"))
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))
    is_cancelled = models.BooleanField(default=False)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    objects = StopQuerySet.as_manager()

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ["date", "starts", "pk"]
        indexes = [models.Index(fields=["org", "date"], name="stop_org_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="stop_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="stop_coordinates_on_earth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.date} {self.starts:%H:%M}"


class Shift(models.Model):
    """A team working a mobile unit at one stop; it ends with a count of the stock."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    stop = models.OneToOneField(Stop, on_delete=models.PROTECT, related_name="shift")
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stocktake = models.OneToOneField(
        Stocktake, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")

    def __str__(self) -> str:
        return f"{self.stop}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class WebOutreachFigures(models.Model):
    """A month's figures of one Telegram channel or chat, as its moderator counts them."""

    class Kind(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        CHAT = "chat", _("Chat")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text="The first day of the month.")
    name = models.CharField(_("channel or chat"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    audience = models.PositiveIntegerField(_("subscribers or members"))
    consultations = models.PositiveIntegerField(_("consultations by messenger"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("web outreach figures")
        verbose_name_plural = _("web outreach figures")
        ordering = ["kind", "name"]
        constraints = [
            # ``month`` is always a first day: the entry action sets it. A check
            # constraint on the day would need a Django function inside SQLite,
            # which a backup's integrity check cannot run.
            models.UniqueConstraint(fields=["org", "month", "name"], name="web_figures_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.month:%Y-%m}"
