from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import Item
from outpost.orgs.models import Organisation, Site


class Location(models.Model):
    """A place that holds stock: a site's store, a bus, a courier's bag, a car."""

    class Kind(models.TextChoices):
        STORE = "store", _("Store")
        MOBILE_UNIT = "mobile_unit", _("Mobile unit")
        COURIER_BAG = "courier_bag", _("Courier bag")
        CAR = "car", _("Staff car")

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="locations")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="locations"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="location_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


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


class StockMovement(models.Model):
    """One change of stock in the ledger (SPEC §5); never edited."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        DISPENSE = "dispense", _("Dispensed")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ADJUSTMENT = "adjustment", _("Adjustment")

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
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
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
                    models.Q(kind="receipt", quantity__gt=0)
                    | models.Q(kind="dispense", quantity__lt=0)
                    | ~models.Q(kind__in=["receipt", "dispense"])
                ),
                name="movement_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["location", "item", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} {self.item}"
