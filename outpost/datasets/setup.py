"""The organisations, sites and staff of a dataset, made through the ORM.

They are few (at most a few hundred rows), so they go through the same
model code and actions as the application: the default catalogue and each
site's store come from ``install_default_catalogue`` and ``create_store``.
"""

from dataclasses import dataclass
from random import Random

from django.utils.text import slugify

from outpost.catalogue import defaults
from outpost.catalogue.actions import install_default_catalogue
from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.core.roles import Role
from outpost.datasets import plan
from outpost.datasets.plan import Scale, Weighted
from outpost.inventory.actions import create_store
from outpost.orgs.models import Membership, Organisation, Site, User

# Catalogue items by their position in the default catalogue, the same in
# every organisation.
ITEM_NAMES = tuple(name for _, name in defaults.ITEMS)
ITEM_CATEGORIES = tuple(category for category, _ in defaults.ITEMS)
# Generated staff cannot sign in: a password starting with "!" is unusable.
UNUSABLE_PASSWORD = "!generated-dataset"  # noqa: S105
SITE_NOUNS: dict[str, str] = {
    Site.Kind.ROOM: "room",
    Site.Kind.MOBILE_UNIT: "mobile unit",
    Site.Kind.COURIER_HUB: "courier hub",
    Site.Kind.ONLINE: "online",
}


@dataclass(frozen=True)
class KitRef:
    kit_id: int
    # (item position, quantity) per component.
    components: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class OrgRef:
    index: int
    org_id: int
    # Item ids by position in the default catalogue.
    item_ids: tuple[int, ...]
    kits: dict[str, KitRef]
    service_ids: dict[str, int]
    # Sites (their index in the world) by size.
    site_choice: Weighted[int]


@dataclass(frozen=True)
class SiteRef:
    index: int
    org_index: int
    org_id: int
    site_id: int
    location_id: int
    worker_id: int
    kind: str
    channels: Weighted[str]


@dataclass(frozen=True)
class World:
    orgs: list[OrgRef]
    sites: list[SiteRef]
    org_choice: Weighted[int]
    # Every site by its share of all contacts.
    site_choice: Weighted[int]


def build_world(scale: Scale, rng: Random) -> World:
    """Create the organisations, their catalogues, sites, stores and workers."""
    org_weights = plan.zipf_weights(scale.organisations, plan.ORGANISATION_ZIPF)
    site_counts = plan.split_by_weight(scale.sites, org_weights, least=1)
    kinds = Weighted(plan.SITE_KINDS)
    orgs: list[OrgRef] = []
    sites: list[SiteRef] = []
    site_weights: list[tuple[int, float]] = []
    for index, (org_weight, count) in enumerate(zip(org_weights, site_counts, strict=True)):
        city = plan.CITIES[index % len(plan.CITIES)]
        org = Organisation.objects.create(
            name=f"{city} harm reduction", slug=f"{slugify(city)}-{index + 1:02d}"
        )
        install_default_catalogue(org=org)
        shares = plan.zipf_weights(count, plan.SITE_ZIPF)
        own: list[tuple[int, float]] = []
        for number, share in enumerate(shares, start=1):
            kind = Site.Kind.ROOM if number == 1 else kinds.draw(rng)
            site = _make_site(org, index, f"{city} {SITE_NOUNS[kind]} {number}", kind, number)
            sites.append(
                SiteRef(
                    index=len(sites),
                    org_index=index,
                    org_id=org.pk,
                    site_id=site.site_id,
                    location_id=site.location_id,
                    worker_id=site.worker_id,
                    kind=kind,
                    channels=Weighted(plan.CHANNELS[kind]),
                )
            )
            own.append((len(sites) - 1, share))
            site_weights.append((len(sites) - 1, share * org_weight))
        orgs.append(_org_ref(org, index, Weighted(own)))
    return World(
        orgs=orgs,
        sites=sites,
        org_choice=Weighted(list(enumerate(org_weights))),
        site_choice=Weighted(site_weights),
    )


@dataclass(frozen=True)
class _MadeSite:
    site_id: int
    location_id: int
    worker_id: int


def _make_site(org: Organisation, org_index: int, name: str, kind: str, number: int) -> _MadeSite:
    site = Site.objects.create(
        org=org,
        name=name,
        kind=kind,
        timezone=plan.TIME_ZONE,
        default_channel=plan.DEFAULT_CHANNEL[kind],
    )
    store = create_store(site=site)
    worker = User.objects.create(
        username=f"{org.slug}-worker-{number:02d}", password=UNUSABLE_PASSWORD
    )
    Membership.objects.create(user=worker, org=org, role=Role.SOCIAL_WORKER, site=site)
    return _MadeSite(site_id=site.pk, location_id=store.pk, worker_id=worker.pk)


def _org_ref(org: Organisation, index: int, site_choice: Weighted[int]) -> OrgRef:
    items = {item.name: item.pk for item in Item.objects.filter(org=org)}
    position = {name: place for place, name in enumerate(ITEM_NAMES)}
    kits = {
        kit.name: KitRef(
            kit_id=kit.pk,
            components=tuple(
                (position[component.item.name], component.quantity)
                for component in kit.components.order_by("pk").select_related("item")
            ),
        )
        for kit in Kit.objects.filter(org=org)
    }
    return OrgRef(
        index=index,
        org_id=org.pk,
        item_ids=tuple(items[name] for name in ITEM_NAMES),
        kits=kits,
        service_ids=dict(
            ServiceType.objects.filter(org=org).values_list("code", "pk").order_by("pk")
        ),
        site_choice=site_choice,
    )
