"""Writes to report configuration: the package, donor codes, estimates, networks.

Each action checks its own rules, so a command or a future API gets the
same refusals as the web forms, and writes the audit entry last.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from outpost.catalogue.models import ItemCategory, ServiceType
from outpost.contacts.summaries import UNIT_COLUMNS
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.orgs.models import Organisation, Site, User
from outpost.reports.definitions import INDICATORS
from outpost.reports.models import (
    IndicatorCode,
    Network,
    Package,
    PackageComponent,
    PopulationEstimate,
)

MINIMUM_MAX = 1000
# Only categories the contact summaries count can be met; "kit" is absent,
# since contacts record a kit as its components.
PACKAGE_CATEGORIES = frozenset(UNIT_COLUMNS)


class ConfigurationRefused(DomainError):
    """A configuration change broke a rule; nothing of it was saved."""


@dataclass(frozen=True)
class Component:
    """One component as entered: item category codes with a minimum, or a service."""

    categories: frozenset[str] = frozenset()
    minimum: int = 1
    service_type_id: int | None = None


@transaction.atomic
def save_package(
    *, org: Organisation, name: str, components: Sequence[Component], worker: User
) -> Package:
    """Replace the organisation's defined package (SPEC §3.2) with these components."""
    name = name.strip()
    if not name:
        raise ConfigurationRefused(_("Give the package a name."))
    _check_components(org, components)
    package, _created = Package.objects.update_or_create(org=org, defaults={"name": name})
    package.components.all().delete()
    categories = {category.code: category for category in ItemCategory.objects.all()}
    for part in components:
        component = PackageComponent.objects.create(
            package=package,
            minimum=part.minimum if part.categories else 1,
            service_type_id=part.service_type_id,
        )
        if part.categories:
            component.categories.set([categories[code] for code in sorted(part.categories)])
    audit(actor_id=worker.pk, org_id=org.pk, verb="package.changed", target=package)
    return package


def _check_components(org: Organisation, components: Sequence[Component]) -> None:
    if not components:
        raise ConfigurationRefused(_("A package needs at least one component."))
    seen: set[frozenset[str] | int] = set()
    service_ids = set(ServiceType.objects.filter(org=org).values_list("pk", flat=True))
    known = PACKAGE_CATEGORIES & set(ItemCategory.objects.values_list("code", flat=True))
    for part in components:
        if bool(part.categories) == (part.service_type_id is not None):
            raise ConfigurationRefused(
                _("Each component is either some item categories or one service.")
            )
        if part.service_type_id is not None and part.service_type_id not in service_ids:
            raise ConfigurationRefused(_("Choose a service type of your organisation."))
        if not part.categories <= known:
            raise ConfigurationRefused(_("Choose item categories from the list."))
        if part.categories and not 1 <= part.minimum <= MINIMUM_MAX:
            raise ConfigurationRefused(
                _("A minimum is from 1 to %(most)d units.") % {"most": MINIMUM_MAX}
            )
        identity = part.service_type_id if part.service_type_id is not None else part.categories
        if identity in seen:
            raise ConfigurationRefused(_("The same component is in the package twice."))
        seen.add(identity)


@transaction.atomic
def restore_default_package(*, org: Organisation, worker: User) -> bool:
    """Drop the organisation's own package, so the default applies again.

    Returns whether there was one to drop.
    """
    package = Package.objects.filter(org=org).first()
    if package is None:
        return False
    target = _deleted(package)
    audit(actor_id=worker.pk, org_id=org.pk, verb="package.restored", target=target)
    return True


@transaction.atomic
def add_indicator_code(
    *, org: Organisation, indicator: str, code: str, label: str, worker: User
) -> IndicatorCode:
    """Attach a donor's code to one of Outpost's indicators."""
    code = code.strip()
    if indicator not in INDICATORS:
        raise ConfigurationRefused(_("Choose an indicator from the list."))
    if not 1 <= len(code) <= 40:
        raise ConfigurationRefused(_("A donor code has 1 to 40 characters."))
    if IndicatorCode.objects.filter(org=org, indicator=indicator, code=code).exists():
        raise ConfigurationRefused(_("This indicator already has this donor code."))
    row = IndicatorCode.objects.create(
        org=org, indicator=indicator, code=code, label=label.strip()
    )
    audit(actor_id=worker.pk, org_id=org.pk, verb="indicator_code.added", target=row)
    return row


@transaction.atomic
def remove_indicator_code(*, row: IndicatorCode, worker: User) -> None:
    target = _deleted(row)
    audit(actor_id=worker.pk, org_id=row.org_id, verb="indicator_code.removed", target=target)


@transaction.atomic
def save_population_estimate(
    *, estimate: PopulationEstimate, sites: Collection[Site], worker: User
) -> PopulationEstimate:
    """Save a new or changed estimate and the sites of the area it covers."""
    if any(site.org_id != estimate.org_id for site in sites):
        raise ConfigurationRefused(_("Choose sites of your organisation."))
    estimate.full_clean()
    estimate.save()
    estimate.sites.set(list(sites))
    audit(actor_id=worker.pk, org_id=estimate.org_id, verb="population.saved", target=estimate)
    return estimate


@transaction.atomic
def remove_population_estimate(*, estimate: PopulationEstimate, worker: User) -> None:
    target = _deleted(estimate)
    audit(actor_id=worker.pk, org_id=estimate.org_id, verb="population.removed", target=target)


@transaction.atomic
def create_network(*, name: str, slug: str) -> tuple[Network, bool]:
    """Create a network, or rename the one with this slug; returns it and whether it is new."""
    network, created = Network.objects.get_or_create(slug=slug, defaults={"name": name})
    if not created and network.name != name:
        network.name = name
        network.save(update_fields=["name"])
    return network, created


@transaction.atomic
def add_network_members(*, network: Network, orgs: Sequence[Organisation]) -> list[Organisation]:
    """Add organisations to the network; returns those that were not members yet.

    Each organisation's audit trail records that its figures now count in
    the network. The installation's operator does this, so no staff member
    is the actor.
    """
    present = set(network.members.values_list("pk", flat=True))
    added = [org for org in orgs if org.pk not in present]
    network.members.add(*added)
    for org in added:
        audit(actor_id=None, org_id=org.pk, verb="network.joined", target=network)
    return added


@transaction.atomic
def remove_network_members(
    *, network: Network, orgs: Sequence[Organisation]
) -> list[Organisation]:
    """Take organisations out of the network; returns those that were members."""
    present = set(network.members.values_list("pk", flat=True))
    removed = [org for org in orgs if org.pk in present]
    network.members.remove(*removed)
    for org in removed:
        audit(actor_id=None, org_id=org.pk, verb="network.left", target=network)
    return removed


def _deleted(row: Model) -> Model:
    """Delete ``row`` and return a stand-in with its id, for the audit entry.

    The entry is written after the delete, to keep the audit lock last.
    """
    stand_in = type(row)(pk=row.pk)
    row.delete()
    return stand_in
