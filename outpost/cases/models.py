"""Case management: cases with goals, consultations and follow-ups.

Everything a case manager writes in their own words (a goal of their own, a
consultation's note, a follow-up's action) is ciphertext made by
``outpost.vault`` and bound to its row; see ``notes.py``. Codes, dates,
channels, topics, durations and statuses stay in clear, because the
figures count them.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import TranslatedNameMixin
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.choices import Channel
from outpost.orgs.models import Organisation, Site

NOTE_MAX_LENGTH = 1000
TEXT_MAX_LENGTH = 200
MAX_DURATION_MINUTES = 480
# The channels a consultation is on. A case manager thinks of the room or
# office as "in person", so forms and figures say so.
CONSULTATION_CHANNELS = {
    Channel.PHONE: _("Phone"),
    Channel.MESSENGER: _("Messenger"),
    Channel.ROOM: _("In person"),
}


class GoalType(TranslatedNameMixin, models.Model):
    """A goal from the organisation's list: documents restored, housing, …"""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="goal_type_name_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name


class Topic(TranslatedNameMixin, models.Model):
    """What a consultation was about, from the organisation's list."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("consultation topic")
        verbose_name_plural = _("consultation topics")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="topic_name_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> "CaseQuerySet":
        return self.filter(closed_on__isnull=True)


class Case(models.Model):
    """One client's case, run by one case manager until it is closed."""

    class Outcome(models.TextChoices):
        ACHIEVED = "achieved", _("The goals were achieved")
        PARTLY = "partly", _("Some goals were achieved")
        TRANSFERRED = "transferred", _("Handed over to another service")
        ENDED_BY_CLIENT = "ended_by_client", _("The client ended the case")
        LOST = "lost", _("Contact was lost")
        DIED = "died", _("The client died")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="cases")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("case manager"),
    )
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(closed_on__isnull=True), name="case_one_open"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True, outcome="")
                | Q(closed_on__gte=models.F("opened_on"), outcome__gt=""),
                name="case_closed_with_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "closed_on"], name="case_manager_open"),
            models.Index(fields=["org", "opened_on"], name="case_org_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.opened_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class Goal(models.Model):
    """A goal of one case: from the organisation's list, or in the manager's words."""

    class Status(models.TextChoices):
        WORKING = "working", _("Working on it")
        ACHIEVED = "achieved", _("Achieved")
        NOT_ACHIEVED = "not_achieved", _("Not achieved")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    goal_type = models.ForeignKey(
        GoalType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Ciphertext of a goal in the case manager's words (notes.py).
    text = models.BinaryField(null=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.WORKING
    )
    status_on = models.DateField(_("since"))

    class Meta:
        verbose_name = _("case goal")
        verbose_name_plural = _("case goals")
        indexes = [models.Index(fields=["status", "status_on"], name="goal_status_on")]

    def __str__(self) -> str:
        return f"{self.goal_type or '…'} ({self.get_status_display()})"


class Consultation(models.Model):
    """A case-management consultation; its contact carries the channel and date."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consultations")
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="consultation")
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="+", verbose_name=_("topic")
    )
    minutes = models.PositiveSmallIntegerField(_("duration in minutes"))
    # Ciphertext of the short note (notes.py); NULL when none was written
    # or once retention erased it.
    note = models.BinaryField(null=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_DURATION_MINUTES),
                name="consultation_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} · {self.minutes} min"


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def pending(self) -> "FollowUpQuerySet":
        return self.filter(done_on__isnull=True, cancelled_on__isnull=True)

    def due_by(self, date: datetime.date) -> "FollowUpQuerySet":
        """Pending follow-ups due on or before ``date``: today's and the overdue."""
        return self.pending().filter(due_on__lte=date)


class FollowUp(models.Model):
    """Something to do for the client by a date, set at a consultation."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="follow_ups"
    )
    # Ciphertext of what is to be done (notes.py).
    action = models.BinaryField(null=True, editable=False)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when the case closes with the follow-up still to do.
    cancelled_on = models.DateField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True, done_by__isnull=True)
                | Q(done_on__isnull=False, done_by__isnull=False),
                name="follow_up_done_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(cancelled_on__isnull=True),
                name="follow_up_done_or_cancelled",
            ),
        ]
        indexes = [models.Index(fields=["case", "due_on"], name="follow_up_case_due")]

    def __str__(self) -> str:
        return f"follow-up #{self.pk} due {self.due_on}"
