import datetime
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outpost.core.choices import Channel
from outpost.core.roles import Role


class User(AbstractUser):
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class SiteQuerySet(models.QuerySet["Site"]):
    def for_org(self, org_id: int) -> "SiteQuerySet":
        return self.filter(org_id=org_id)


class Site(models.Model):
    class Kind(models.TextChoices):
        ROOM = "room", _("Room or office")
        MOBILE_UNIT = "mobile_unit", _("Mobile unit")
        COURIER_HUB = "courier_hub", _("Courier hub")
        ONLINE = "online", _("Online")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Kyiv", validators=[validate_timezone]
    )
    default_channel = models.CharField(
        _("default channel"), max_length=20, choices=Channel.choices
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="site_name_unique")]

    def __str__(self) -> str:
        return self.name

    def local_today(self) -> datetime.date:
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.timezone))

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return timezone.localdate(moment, timezone=zoneinfo.ZoneInfo(self.timezone))


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Membership(models.Model):
    """A staff account's one role in one organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("usual site")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org"], name="one_role_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.org} · {self.get_role_display()}"

    def local_today(self) -> datetime.date:
        """Today where the person works: their site's date, else the server's."""
        return self.site.local_today() if self.site else timezone.localdate()
