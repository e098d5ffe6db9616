"""The defined package (SPEC §3.2) as the indicators read it."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from outpost.catalogue.models import ServiceType
from outpost.reports.models import Package

# The Ukrainian minimum package for people who inject drugs: at least one
# syringe or needle, at least one condom, and counselling.
DEFAULT_NAME = _("Minimum package for people who inject drugs")
DEFAULT_ITEMS = ((frozenset({"syringe", "needle"}), 1), (frozenset({"condom"}), 1))
DEFAULT_SERVICE = "counselling"


@dataclass(frozen=True)
class Rule:
    """A package as sets of category codes with minimums, and service type ids."""

    items: tuple[tuple[frozenset[str], int], ...]
    services: frozenset[int]

    def met(self, units: Mapping[str, int], services: Collection[int]) -> bool:
        enough = all(sum(units.get(code, 0) for code in codes) >= n for codes, n in self.items)
        return enough and self.services.issubset(services)


def package_rules(org_ids: Collection[int]) -> dict[int, Rule]:
    """Each organisation's package: the one its managers saved, or the default."""
    saved = Package.objects.filter(org_id__in=list(org_ids)).prefetch_related(
        "components__categories"
    )
    rules = {package.org_id: _saved_rule(package) for package in saved}
    missing = [org_id for org_id in org_ids if org_id not in rules]
    counselling = dict(
        ServiceType.objects.filter(org_id__in=missing, code=DEFAULT_SERVICE).values_list(
            "org_id", "pk"
        )
    )
    for org_id in missing:
        # An organisation without the counselling service can never meet the
        # default package; the impossible id says so rather than dropping it.
        services = frozenset({counselling.get(org_id, 0)})
        rules[org_id] = Rule(items=DEFAULT_ITEMS, services=services)
    return rules


def _saved_rule(package: Package) -> Rule:
    items: list[tuple[frozenset[str], int]] = []
    services: set[int] = set()
    for component in package.components.all():
        if component.service_type_id is not None:
            services.add(component.service_type_id)
        else:
            codes = frozenset(category.code for category in component.categories.all())
            items.append((codes, component.minimum))
    return Rule(items=tuple(items), services=frozenset(services))
