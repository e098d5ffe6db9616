from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.inventory.models import StockMovement
from outpost.orgs.models import Organisation, Site


class RoomSessionQuerySet(models.QuerySet["RoomSession"]):
    def inside(self, site: Site) -> "RoomSessionQuerySet":
        return self.filter(site=site, checked_out_at__isnull=True)

    def awaiting_disinfection(self, site: Site) -> "RoomSessionQuerySet":
        """Ended sessions that no disinfection has followed yet."""
        return self.filter(site=site, checked_out_at__isnull=False, disinfection__isnull=True)

    def blocking_next(self, site: Site) -> "RoomSessionQuerySet":
        """Ended sessions whose mode asked for a disinfection not yet recorded."""
        return self.awaiting_disinfection(site).filter(needs_disinfection=True)


class Disinfection(models.Model):
    """The space disinfected after the sessions that ended before it."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("disinfection")
        verbose_name_plural = _("disinfections")

    def __str__(self) -> str:
        return f"{self.site} · {self.recorded_at:%Y-%m-%d %H:%M}"


class RoomSession(models.Model):
    """A client inside the consumption space, from check-in to check-out."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="room_sessions")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="room_sessions")
    checked_in_at = models.DateTimeField(_("checked in"))
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField(help_text="The local date of check-in at the site.")
    disposed = models.PositiveIntegerField(_("used equipment disposed"), default=0)
    # Set at check-out from the mode then in force.
    needs_disinfection = models.BooleanField(default=False)
    disinfection = models.ForeignKey(
        Disinfection, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )

    objects = RoomSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("room session")
        verbose_name_plural = _("room sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(checked_out_at__isnull=True),
                name="room_client_inside_once",
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_out_at__gte=models.F("checked_in_at")),
                name="room_out_after_in",
            ),
        ]
        indexes = [models.Index(fields=["site", "date"], name="room_session_site_date")]

    def __str__(self) -> str:
        return f"{self.client} · {self.site} · {self.checked_in_at:%Y-%m-%d %H:%M}"


class WaitingEntry(models.Model):
    """A client waiting for a place inside, in the order of arrival."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ADMITTED = "admitted", _("Checked in")
        LEFT = "left", _("Left the list")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(_("waiting since"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("place on the waiting list")
        verbose_name_plural = _("waiting list")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "client"],
                condition=models.Q(status="waiting"),
                name="room_waiting_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.site} · {self.get_status_display()}"


class OverdoseIncident(models.Model):
    """An overdose responded to (SPEC §3.1 ``overdoses``)."""

    class Sign(models.TextChoices):
        UNRESPONSIVE = "unresponsive", _("Unresponsive")
        SLOW_BREATHING = "slow_breathing", _("Slow or no breathing")
        BLUE_LIPS = "blue_lips", _("Blue lips or nails")
        PINPOINT_PUPILS = "pinpoint_pupils", _("Pinpoint pupils")
        GURGLING = "gurgling", _("Gurgling or snoring")
        SEIZURE = "seizure", _("Seizure")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not yet known")
        RECOVERED = "recovered", _("Recovered on site")
        HOSPITAL = "hospital", _("Taken to hospital")
        REFUSED_HOSPITAL = "refused_hospital", _("Refused hospital")
        LEFT = "left", _("Left before the end")
        DIED = "died", _("Died")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="overdoses")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        RoomSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(_("time"))
    date = models.DateField(help_text="The local date at the site.")
    signs = models.JSONField(_("signs"), default=list, blank=True)
    naloxone_item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    naloxone_doses = models.PositiveSmallIntegerField(_("naloxone doses given"), default=0)
    # The ledger's dispensing movements for those doses.
    stock_movements = models.ManyToManyField(StockMovement, blank=True, related_name="+")
    oxygen = models.BooleanField(_("oxygen given"), default=False)
    rescue_breathing = models.BooleanField(_("rescue breathing"), default=False)
    ambulance_called_at = models.DateTimeField(_("ambulance called"), null=True, blank=True)
    ambulance_arrived_at = models.DateTimeField(_("ambulance arrived"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("overdose incident")
        verbose_name_plural = _("overdose incidents")
        indexes = [models.Index(fields=["site", "date"], name="overdose_site_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(naloxone_doses=0) | models.Q(naloxone_item__isnull=False),
                name="overdose_naloxone_has_item",
            ),
            models.CheckConstraint(
                condition=models.Q(ambulance_arrived_at__isnull=True)
                | models.Q(ambulance_called_at__isnull=False),
                name="overdose_ambulance_called_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.occurred_at:%Y-%m-%d %H:%M} · {self.get_outcome_display()}"

    def sign_labels(self) -> list[str]:
        labels = dict(self.Sign.choices)
        return [str(labels.get(sign, sign)) for sign in self.signs]


class Event(models.Model):
    """A self-help group, information session or training, with its attendance."""

    class Kind(models.TextChoices):
        SELF_HELP = "self_help", _("Self-help group")
        INFORMATION = "information", _("Information session")
        TRAINING = "training", _("Training")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    facilitator = models.CharField(_("facilitator"), max_length=200)
    anonymous_count = models.PositiveIntegerField(_("attendees without a code"), default=0)
    clients = models.ManyToManyField(Client, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["site", "date"], name="event_site_date")]

    def __str__(self) -> str:
        return f"{self.date} · {self.get_kind_display()} · {self.topic}"
