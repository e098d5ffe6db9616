import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item, Kit
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.core.choices import Channel
from outpost.orgs.models import Organisation, Site
from outpost.testing.models import ArtCourse


class DeliveryOrderQuerySet(models.QuerySet["DeliveryOrder"]):
    def open(self) -> "DeliveryOrderQuerySet":
        return self.filter(status__in=DeliveryOrder.OPEN)

    def on_the_way_with(self, courier_id: int) -> "DeliveryOrderQuerySet":
        """What a courier carries now: assigned to them and not yet closed."""
        return self.filter(courier_id=courier_id, status__in=DeliveryOrder.WITH_COURIER)

    def past_retention(self, cutoff: datetime.date) -> "DeliveryOrderQuerySet":
        """Orders still holding details, closed (or due) before ``cutoff``.

        An order left open after its day can no longer be delivered, so its
        day counts as its close.
        """
        holding = Q(place__isnull=False) | Q(reach__isnull=False)
        return self.filter(holding).filter(
            Q(closed_at__date__lt=cutoff) | Q(window_date__lt=cutoff)
        )


class DeliveryOrder(models.Model):
    """Supplies taken by phone, messenger or the bot, for a courier to bring.

    Where to go and how to reach the person are ciphertext bound to this
    row; they are removed a set number of days after the order closes.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        ASSIGNED = "assigned", _("Assigned to a courier")
        OUT = "out", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class PlaceKind(models.TextChoices):
        ADDRESS = "address", _("Address")
        MEETING_POINT = "meeting_point", _("Meeting point")

    class FailureReason(models.TextChoices):
        NOT_REACHED = "not_reached", _("Could not reach the person")
        NOT_THERE = "not_there", _("Nobody came to the place")
        REFUSED = "refused", _("The person refused it")
        UNSAFE = "unsafe", _("Not safe to deliver")
        OTHER = "other", _("Another reason")

    OPEN = ("requested", "approved", "assigned", "out")
    WITH_COURIER = ("assigned", "out")
    ENCRYPTED = ("place", "reach")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="delivery_orders")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_via = models.CharField(
        _("requested by"), max_length=20, choices=Channel.choices, default=Channel.PHONE
    )
    place_kind = models.CharField(_("where"), max_length=20, choices=PlaceKind.choices)
    place = models.BinaryField(null=True, editable=False)
    reach = models.BinaryField(null=True, editable=False)
    details_purged_on = models.DateField(null=True, blank=True)
    window_date = models.DateField(_("day"))
    window_starts = models.TimeField(_("from"))
    window_ends = models.TimeField(_("until"))
    art_course = models.ForeignKey(
        ArtCourse, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    art_days = models.PositiveSmallIntegerField(_("days of ART supplied"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("courier"),
    )
    route_position = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(
        _("why it failed"), max_length=20, choices=FailureReason.choices, blank=True
    )
    attempt_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_attempt"
    )
    contact = models.OneToOneField(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    objects = DeliveryOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery order")
        verbose_name_plural = _("delivery orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_ends__gt=models.F("window_starts")),
                name="delivery_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(courier__isnull=False) | ~Q(status__in=("assigned", "out")),
                name="delivery_with_courier_has_one",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "window_date"], name="delivery_site_day"),
            models.Index(fields=["courier", "window_date"], name="delivery_courier_day"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.window_date} {self.get_status_display()}"

    @staticmethod
    def context(row: "DeliveryOrder", field: str) -> str:
        """What each ciphertext is bound to, so it cannot be moved elsewhere."""
        return f"delivery.deliveryorder.{field}:{row.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class DeliveryLine(models.Model):
    """A kit or an item to bring, with how many."""

    order = models.ForeignKey(DeliveryOrder, on_delete=models.CASCADE, related_name="lines")
    kit = models.ForeignKey(Kit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kit__isnull=True, item__isnull=False)
                | Q(kit__isnull=False, item__isnull=True),
                name="delivery_line_kit_or_item",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_line_qty_positive"),
        ]

    def __str__(self) -> str:
        thing = self.kit or self.item
        return f"{self.quantity} × {thing.display_name if thing else '—'}"
