from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outpost.orgs.models import Organisation


class TranslatedNameMixin:
    """Show default names in the reader's language.

    Names shipped with Outpost are message ids in the translation catalogues;
    a name a manager typed is not, and gettext returns it unchanged.
    """

    name: str

    @property
    def display_name(self) -> str:
        return gettext(self.name) if self.name else ""

    def __str__(self) -> str:
        return self.display_name


class ItemCategory(TranslatedNameMixin, models.Model):
    """A kind of item that indicators count by (SPEC §3.1); fixed codes."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    needs_expiry = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("item category")
        verbose_name_plural = _("item categories")
        ordering = ["name"]


class Item(TranslatedNameMixin, models.Model):
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="items")
    category = models.ForeignKey(
        ItemCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["category__code", "name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="item_name_unique")]


class Kit(TranslatedNameMixin, models.Model):
    """A named bundle of items handed out together."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="kits")
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)
    stock_item = models.OneToOneField(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assembled_kit",
        help_text="Kits assembled ahead are stocked as this item; made at the first assembly.",
    )

    class Meta:
        verbose_name = _("kit")
        verbose_name_plural = _("kits")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="kit_name_unique")]


class KitComponent(models.Model):
    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "item"], name="kit_component_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="kit_component_qty_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"


class ServiceType(TranslatedNameMixin, models.Model):
    """A service given at a contact; ``code`` is what packages refer to."""

    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="service_types")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="service_code_unique"),
        ]
