import datetime
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.models import Client
from outpost.contacts.models import Contact, ContactItem, ContactService
from outpost.contacts.summaries import add_to_summaries
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.inventory.actions import dispense_stock, store_of, usable_kits
from outpost.inventory.ledger import Line
from outpost.inventory.models import Location
from outpost.modes.policy import check_contact_allowed
from outpost.orgs.models import Site, User

MAX_LINE_QUANTITY = 1000
MAX_RETURNED = 10_000
MAX_PEERS = 100


@dataclass(frozen=True)
class Handout:
    """What a contact hands out: whole kits and single items, with counts."""

    kits: Sequence[tuple[Kit, int]] = ()
    items: Sequence[tuple[Item, int]] = ()
    services: Sequence[ServiceType] = field(default_factory=tuple)
    # Item id → the lot the worker picked; otherwise the first to expire.
    lots: Mapping[int, str] = field(default_factory=dict)
    # Secondary distribution: how many peers, and how many of the units.
    peers: int = 0
    units_for_peers: int = 0

    def units(self) -> int:
        """Units of items handed out, kits counted by their components."""
        in_kits = sum(
            component.quantity * count
            for kit, count in self.kits
            for component in kit.components.all()
        )
        return in_kits + sum(count for _, count in self.items)


@transaction.atomic
def record_contact(
    *,
    site: Site,
    worker: User,
    channel: str,
    client: Client | None,
    handout: Handout,
    syringes_returned: int = 0,
    occurred_at: datetime.datetime | None = None,
    idempotency_key: uuid.UUID | None = None,
    location: Location | None = None,
) -> Contact:
    """Record a contact and take what was handed out from the site's store.

    ``location`` hands out from another place instead, such as a bus. Kits
    come from kits assembled ahead where the place has them, and from loose
    components for the rest.

    A retried request with the same idempotency key returns the contact it
    made the first time and records nothing again. If any item is short,
    nothing of the contact is saved.
    """
    earlier = earlier_row(Contact, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    _check_entry(site, client, handout, syringes_returned)
    moment = occurred_at or timezone.now()
    check_contact_allowed(
        site=site,
        worker=worker,
        channel=channel,
        service_ids=[service.pk for service in handout.services],
        moment=moment,
        live=occurred_at is None,
    )
    date = site.local_date(moment)
    contact = Contact(
        org_id=site.org_id,
        site=site,
        client=client,
        channel=channel,
        occurred_at=moment,
        date=date,
        worker=worker,
        syringes_returned=syringes_returned,
        peers=handout.peers,
        units_for_peers=handout.units_for_peers,
        idempotency_key=idempotency_key,
    )
    saved = save_once(contact)
    if saved is not contact:
        return saved
    lines = _item_lines(handout)
    ContactItem.objects.bulk_create(
        ContactItem(contact=contact, item=item, kit=kit, quantity=quantity)
        for (item, kit), quantity in lines
    )
    ContactService.objects.bulk_create(
        ContactService(contact=contact, service_type=service)
        for service in {s.pk: s for s in handout.services}.values()
    )
    add_to_summaries([contact.pk], anonymous=client is None, services=bool(handout.services))
    source = location or store_of(site)
    dispense_stock(
        location=source,
        lines=stock_lines(handout, source, date),
        worker=worker,
        occurred_on=date,
        contact_id=contact.pk,
    )
    if client is not None:
        _note_contact_dates(client, date)
    audit(actor_id=worker.pk, org_id=site.org_id, verb="contact.recorded", target=contact)
    return contact


def stock_lines(handout: Handout, location: Location, on: datetime.date) -> list[Line]:
    """What leaves the shelf: assembled kits first, then loose items by lot."""
    assembled = usable_kits(location, [kit for kit, _ in handout.kits], on=on)
    loose: Counter[int] = Counter()
    items_by_id: dict[int, Item] = {}
    lines: list[Line] = []
    for kit, count in handout.kits:
        packed = min(count, assembled.get(kit.pk, 0))
        assembled[kit.pk] = assembled.get(kit.pk, 0) - packed
        if packed and kit.stock_item is not None:
            lines.append(Line(kit.stock_item, packed))
        for component in kit.components.all():
            loose[component.item_id] += component.quantity * (count - packed)
            items_by_id[component.item_id] = component.item
    for item, quantity in handout.items:
        loose[item.pk] += quantity
        items_by_id[item.pk] = item
    lines.extend(
        Line(items_by_id[pk], quantity, handout.lots.get(pk))
        for pk, quantity in loose.items()
        if quantity
    )
    return lines


def _item_lines(handout: Handout) -> list[tuple[tuple[Item, Kit | None], int]]:
    lines: list[tuple[tuple[Item, Kit | None], int]] = []
    for kit, count in handout.kits:
        # .all() uses components prefetched by the caller, if any.
        for component in kit.components.all():
            lines.append(((component.item, kit), component.quantity * count))
    lines.extend(((item, None), quantity) for item, quantity in handout.items)
    return lines


def _check_entry(
    site: Site, client: Client | None, handout: Handout, syringes_returned: int
) -> None:
    org_id = site.org_id
    if client is not None and client.org_id != org_id:
        raise DomainError(gettext("That client is not known here."))
    things = [kit for kit, _ in handout.kits] + [item for item, _ in handout.items]
    if any(thing.org_id != org_id or not thing.is_active for thing in things):
        raise DomainError(gettext("An item or kit is not in this organisation's catalogue."))
    if any(s.org_id != org_id or not s.is_active for s in handout.services):
        raise DomainError(gettext("A service is not in this organisation's catalogue."))
    counts = [count for _, count in handout.kits] + [count for _, count in handout.items]
    if any(not 0 < count <= MAX_LINE_QUANTITY for count in counts):
        raise DomainError(
            gettext("Each quantity must be between 1 and %(max)d.") % {"max": MAX_LINE_QUANTITY}
        )
    if not 0 <= syringes_returned <= MAX_RETURNED:
        raise DomainError(
            gettext("Returned syringes must be between 0 and %(max)d.") % {"max": MAX_RETURNED}
        )
    _check_for_peers(handout)


def _check_for_peers(handout: Handout) -> None:
    if not 0 <= handout.peers <= MAX_PEERS:
        raise DomainError(gettext("Peers must be between 0 and %(max)d.") % {"max": MAX_PEERS})
    if handout.units_for_peers < 0 or handout.units_for_peers > handout.units():
        raise DomainError(
            gettext("Units for peers cannot be more than the %(units)d units handed out.")
            % {"units": handout.units()}
        )
    if handout.units_for_peers and not handout.peers:
        raise DomainError(gettext("Say for how many peers the units are."))


def _note_contact_dates(client: Client, date: datetime.date) -> None:
    # A backdated entry can be earlier than the first contact known so far,
    # and is not the latest one.
    Client.objects.filter(pk=client.pk).update(
        first_contact_date=Case(
            When(Q(first_contact_date__isnull=True) | Q(first_contact_date__gt=date), then=date),
            default=F("first_contact_date"),
        ),
        last_contact_date=Case(
            When(Q(last_contact_date__isnull=True) | Q(last_contact_date__lt=date), then=date),
            default=F("last_contact_date"),
        ),
    )
