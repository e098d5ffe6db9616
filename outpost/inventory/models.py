import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.orgs.models import Organisation, Site

# Forecast defaults (SPEC §5), in days, for a location with no settings of its own.
DEFAULT_LEAD_TIME_DAYS = 30
DEFAULT_SAFETY_DAYS = 14
DEFAULT_REVIEW_DAYS = 30


class LocationQuerySet(models.QuerySet["Location"]):
    def active(self) -> "LocationQuerySet":
        return self.filter(is_active=True)


class Location(models.Model):
    """A place that holds stock: a site's store, a bus, a courier's bag, a car."""

    class Kind(models.TextChoices):
        STORE = "store", _("Store")
        MOBILE_UNIT = "mobile_unit", _("Mobile unit")
        COURIER_BAG = "courier_bag", _("Courier bag")
        CAR = "car", _("Staff car")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="locations")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="locations",
        verbose_name=_("site"),
        help_text=_("The site the location works from."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
        help_text=_("The courier or staff member who carries this stock."),
    )
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"),
        default=DEFAULT_LEAD_TIME_DAYS,
        help_text=_("Days from ordering to the stock arriving here."),
    )
    safety_days = models.PositiveSmallIntegerField(
        _("safety margin (days)"), default=DEFAULT_SAFETY_DAYS
    )
    review_days = models.PositiveSmallIntegerField(
        _("review period (days)"),
        default=DEFAULT_REVIEW_DAYS,
        help_text=_("Days between two orders."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="location_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def local_today(self) -> datetime.date:
        """Today where the location works: its site's date, else the server's."""
        return self.site.local_today() if self.site else timezone.localdate()


class StockPolicy(models.Model):
    """Lead time, safety margin and review period of one item at one location.

    Without a row, the location's own days apply.
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="policies")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"))
    safety_days = models.PositiveSmallIntegerField(_("safety margin (days)"))
    review_days = models.PositiveSmallIntegerField(_("review period (days)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "item"], name="policy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item} @ {self.location}"


class StockBalanceQuerySet(models.QuerySet["StockBalance"]):
    def on_hand_by_item(self) -> dict[int, int]:
        """Units on hand per item id, all lots together."""
        rows = self.values("item_id").annotate(total=Sum("quantity")).order_by()
        return {row["item_id"]: row["total"] or 0 for row in rows}


class StockBalance(models.Model):
    """The running sum of movements per location, item and lot.

    Only ``inventory.actions`` writes it, in the same transaction as the
    movement, so it always equals the ledger; its row is what concurrent
    dispensing locks, and the constraint is the last guard against going
    below zero.
    """

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="balances")
    lot = models.CharField(max_length=60, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    quantity = models.IntegerField(default=0)

    objects = StockBalanceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "item", "lot"], name="balance_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} @ {self.location}: {self.quantity}"


class Transfer(models.Model):
    """Stock sent from one location to another; in transit until received."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from")
    )
    destination = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to")
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_TRANSIT)
    sent_on = models.DateField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("destination")), name="transfer_between_two_places"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.destination}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(max_length=60, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    sent = models.PositiveIntegerField()
    received = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.sent} × {self.item}"

    @property
    def difference(self) -> int | None:
        """Units lost (negative) or found (positive) on the way."""
        return None if self.received is None else self.received - self.sent


class StockOrder(models.Model):
    """Stock ordered for a location and not yet arrived: "on order" (SPEC §5)."""

    class Status(models.TextChoices):
        OPEN = "open", _("On order")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="orders")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    received_quantity = models.PositiveIntegerField(default=0)
    ordered_on = models.DateField()
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_qty_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item} → {self.location}"

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received_quantity, 0)


class Stocktake(models.Model):
    """A count of one location; its differences become adjustments at once."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stocktakes")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COUNTING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One count of a location at a time: two sheets would each
            # correct the same difference.
            models.UniqueConstraint(
                fields=["location"],
                condition=Q(status="counting"),
                name="one_count_per_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location} {self.started_at:%Y-%m-%d}"


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(max_length=60, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expected = models.IntegerField()
    counted = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["item__category__code", "item__name", "expires_on", "lot"]
        constraints = [
            models.UniqueConstraint(
                fields=["stocktake", "item", "lot"], name="stocktake_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.lot}"

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


class StockMovement(models.Model):
    """One change of stock in the ledger (SPEC §5); never edited."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        DISPENSE = "dispense", _("Dispensed")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ASSEMBLY_OUT = "assembly_out", _("Used in kits")
        ASSEMBLY_IN = "assembly_in", _("Kits assembled")
        ADJUSTMENT = "adjustment", _("Adjustment")

    class Reason(models.TextChoices):
        LOSS = "loss", _("Loss")
        DAMAGE = "damage", _("Damage")
        EXPIRY = "expiry", _("Expired")
        STOCKTAKE = "stocktake", _("Stocktake correction")
        FOUND = "found", _("Found")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    lot = models.CharField(_("lot"), max_length=60, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Signed: positive adds stock, negative takes it.")
    occurred_on = models.DateField()
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    stocktake = models.ForeignKey(
        Stocktake, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="movement_qty_not_zero"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["receipt", "transfer_in", "assembly_in"], quantity__gt=0)
                    | Q(kind__in=["dispense", "transfer_out", "assembly_out"], quantity__lt=0)
                    | Q(kind="adjustment")
                ),
                name="movement_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="adjustment_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "item", "occurred_on"]),
            models.Index(fields=["org", "occurred_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} {self.item}"


class StockAlert(models.Model):
    """The day's email of items at risk, sent once per organisation and day."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    items_at_risk = models.PositiveIntegerField()
    recipients = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "sent_on"], name="one_alert_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.sent_on}"
