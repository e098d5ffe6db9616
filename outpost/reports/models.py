"""What an organisation configures about its reports (SPEC §3.2, §3.1, §1.3).

The indicators themselves are code (``reports.indicators``); the defined
package, the donor codes attached to indicators, the population size
estimates and the networks an organisation reports to are data a manager
edits.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import ItemCategory, ServiceType
from outpost.orgs.models import Organisation, Site


class Package(models.Model):
    """The organisation's defined package (SPEC §3.2); one per organisation."""

    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("defined package")
        verbose_name_plural = _("defined packages")

    def __str__(self) -> str:
        return self.name


class PackageComponent(models.Model):
    """Units of some item categories (summed), or one service type."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="components")
    categories = models.ManyToManyField(ItemCategory, blank=True, verbose_name=_("items of"))
    minimum = models.PositiveIntegerField(_("at least this many units"), default=1)
    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum__gt=0), name="package_component_minimum_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.service_type) if self.service_type_id else f"≥{self.minimum}"


class IndicatorCode(models.Model):
    """A donor's code and wording for one of Outpost's indicators."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=40)
    code = models.CharField(_("donor code"), max_length=40)
    label = models.CharField(_("donor's wording"), max_length=200, blank=True)

    class Meta:
        ordering = ["indicator", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "indicator", "code"], name="indicator_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.indicator})"


class PopulationEstimate(models.Model):
    """How many people who inject drugs live in an area the organisation serves."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    area = models.CharField(_("area"), max_length=100)
    people = models.PositiveIntegerField(_("people who inject drugs"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    sites = models.ManyToManyField(Site, blank=True, related_name="+", verbose_name=_("sites"))

    class Meta:
        ordering = ["area"]
        constraints = [
            models.UniqueConstraint(fields=["org", "area"], name="population_area_unique"),
            models.CheckConstraint(
                condition=models.Q(people__gt=0), name="population_people_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.people}"


class Network(models.Model):
    """Organisations that report reach together, matched by network key (SPEC §1.3)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    members = models.ManyToManyField(Organisation, related_name="networks")

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name
