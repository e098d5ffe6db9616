"""What each column of a file means, and the organisation's names it is read against.

Names are compared case-insensitively with spaces trimmed, in every
language Outpost speaks: default catalogue names and choice labels are
message ids, so "Syringe 2 ml", "Шприц 2 мл" and "Шприц 2 мл" in Russian
all name the same item.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from outpost.catalogue.models import Item, Kit, KitComponent, ServiceType
from outpost.clients.models import PopulationGroup
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.orgs.models import Site

DATE = "date"
SITE = "site"
CHANNEL = "channel"
CODE = "code"
MOTHER = "mother_name"
FATHER = "father_name"
SEX = "sex"
BIRTH_DATE = "birth_date"
GROUPS = "groups"
SERVICES = "services"
RETURNED = "syringes_returned"
REF = "ref"
FIXED = (
    DATE,
    SITE,
    CHANNEL,
    CODE,
    MOTHER,
    FATHER,
    SEX,
    BIRTH_DATE,
    GROUPS,
    SERVICES,
    RETURNED,
    REF,
)
PARTS = (MOTHER, FATHER, SEX, BIRTH_DATE)
REQUIRED = (DATE, SITE)


def fold(text: str) -> str:
    """The form names are compared in."""
    return " ".join(text.split()).casefold()


def _in_every_language(text: object) -> set[str]:
    names = {fold(str(text))}
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            names.add(fold(gettext(str(text)) if isinstance(text, str) else str(text)))
    return names


@dataclass(frozen=True)
class Thing:
    """An item or a kit that a column counts."""

    kind: str  # "item" or "kit"
    pk: int
    name: str


@dataclass
class Catalogue:
    """The organisation's sites, channels, services, groups, items and kits by name."""

    org_id: int
    sites: dict[str, Site]
    local_today: dict[int, datetime.date]
    channels: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    things: dict[str, Thing] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    retired: set[str] = field(default_factory=set)
    kit_components: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def load_catalogue(org_id: int) -> Catalogue:
    sites = list(Site.objects.filter(org_id=org_id))
    catalogue = Catalogue(
        org_id=org_id,
        sites={fold(site.name): site for site in sites},
        local_today={site.pk: site.local_today() for site in sites},
    )
    for value, label in Channel.choices:
        catalogue.channels.update(dict.fromkeys(_in_every_language(label) | {value}, value))
    for value, label in PopulationGroup.choices:
        catalogue.groups.update(dict.fromkeys(_in_every_language(label) | {value}, value))
    for service in ServiceType.objects.filter(org_id=org_id, is_active=True):
        names = _in_every_language(service.name) | {fold(service.code)}
        catalogue.services.update(dict.fromkeys(names, service.pk))
    _add_things(catalogue, Item.objects.filter(org_id=org_id), "item")
    _add_things(catalogue, Kit.objects.filter(org_id=org_id), "kit")
    components = KitComponent.objects.filter(kit__org_id=org_id).order_by("kit_id", "item_id")
    for kit_id, item_id, quantity in components.values_list("kit_id", "item_id", "quantity"):
        catalogue.kit_components.setdefault(kit_id, []).append((item_id, quantity))
    return catalogue


def _add_things(catalogue: Catalogue, rows: Iterable[Item | Kit], kind: str) -> None:
    for row in rows:
        for name in _in_every_language(row.name):
            if not row.is_active:
                catalogue.retired.add(name)
                continue
            known = catalogue.things.get(name)
            if known is not None and (known.kind, known.pk) != (kind, row.pk):
                catalogue.ambiguous.add(name)
            catalogue.things[name] = Thing(kind=kind, pk=row.pk, name=row.display_name)


@dataclass(frozen=True)
class Layout:
    """Where each known column is, and which columns count items or kits."""

    fixed: dict[str, int]
    things: list[tuple[int, Thing]]
    headers: list[str]

    @property
    def width(self) -> int:
        return len(self.headers)


def read_layout(header: list[str], catalogue: Catalogue) -> tuple[Layout, list[str]]:
    """Read the header row; the messages are problems of the whole file."""
    fixed: dict[str, int] = {}
    things: list[tuple[int, Thing]] = []
    errors: list[str] = []
    seen: set[str | Thing] = set()
    for index, heading in enumerate(header):
        try:
            meaning = _meaning(heading, index, catalogue)
        except DomainError as error:
            errors.append(error.message)
            continue
        if meaning in seen:
            errors.append(gettext("The column “%(name)s” appears twice.") % {"name": heading})
        seen.add(meaning)
        if isinstance(meaning, Thing):
            things.append((index, meaning))
        else:
            fixed[meaning] = index
    errors.extend(_missing(fixed))
    return Layout(fixed=fixed, things=things, headers=header), errors


def _meaning(heading: str, index: int, catalogue: Catalogue) -> str | Thing:
    """The fixed column's key, or the item or kit the column counts."""
    name = fold(heading)
    if name in FIXED:
        return name
    thing = catalogue.things.get(name)
    if thing is not None and name not in catalogue.ambiguous:
        return thing
    if not name:
        message = gettext("Column %(number)d has no heading.") % {"number": index + 1}
    elif name in catalogue.ambiguous:
        message = gettext(
            "“%(name)s” is the name of both an item and a kit; rename one in the catalogue."
        ) % {"name": heading}
    elif name in catalogue.retired:
        message = gettext("The item or kit “%(name)s” is no longer in use.") % {"name": heading}
    else:
        message = gettext(
            "The column “%(name)s” is not a known column, nor an item or kit of the catalogue."
        ) % {"name": heading}
    raise DomainError(message)


def _missing(fixed: dict[str, int]) -> list[str]:
    errors = [
        gettext("The column “%(name)s” is missing.") % {"name": key}
        for key in REQUIRED
        if key not in fixed
    ]
    if any(key in fixed for key in PARTS) and not (SEX in fixed and BIRTH_DATE in fixed):
        errors.append(
            gettext(
                "The columns “sex” and “birth_date” are needed to build a code from its parts."
            )
        )
    return errors
