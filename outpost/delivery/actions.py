"""Delivery orders from the first call to the door: every change of status.

requested → approved → assigned (to a courier) → out → delivered, or failed
(with a reason, and a new attempt) or cancelled. Staff pages call these, and
so will the Telegram bot. Each change locks the order's row, so two people
changing one order at once cannot both succeed.
"""

import datetime
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from outpost.catalogue.models import Item, Kit
from outpost.clients.models import Client
from outpost.contacts.actions import MAX_LINE_QUANTITY, Handout, record_contact, stock_lines
from outpost.core.audit import audit
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.core.roles import Perm, role_can
from outpost.delivery.models import DeliveryLine, DeliveryOrder
from outpost.inventory.models import Location, StockBalance
from outpost.orgs.models import Membership, Site, User
from outpost.testing.actions import record_art_delivery
from outpost.testing.models import ArtCourse
from outpost.vault.crypto import decrypt, encrypt

MAX_PLACE = 300
MAX_REACH = 200
REQUEST_CHANNELS = (Channel.PHONE, Channel.MESSENGER, Channel.ONLINE)
Status = DeliveryOrder.Status


@dataclass(frozen=True)
class Window:
    """The day and the hours in which the person expects the courier."""

    date: datetime.date
    starts: datetime.time
    ends: datetime.time


@dataclass(frozen=True)
class OrderRequest:
    """What an order asks for, as a form or the bot parsed it."""

    window: Window
    place_kind: str
    place: str
    reach: str
    kits: Sequence[tuple[Kit, int]] = ()
    items: Sequence[tuple[Item, int]] = ()
    client: Client | None = None
    art_course: ArtCourse | None = None
    art_days: int | None = None
    requested_via: str = Channel.PHONE


@dataclass(frozen=True)
class RevealedDetails:
    place: str
    reach: str


@transaction.atomic
def create_delivery_order(
    *,
    site: Site,
    worker: User | None,
    request: OrderRequest,
    idempotency_key: uuid.UUID | None = None,
) -> DeliveryOrder:
    """Take an order to deliver; it waits for approval.

    ``worker`` is None when the bot takes the order for a client.
    """
    earlier = earlier_row(DeliveryOrder, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    client = _check_request(site, request)
    order = DeliveryOrder(
        org_id=site.org_id,
        site=site,
        client=client,
        requested_via=request.requested_via,
        place_kind=request.place_kind,
        window_date=request.window.date,
        window_starts=request.window.starts,
        window_ends=request.window.ends,
        art_course=request.art_course,
        art_days=request.art_days if request.art_course else None,
        created_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(order)
    if saved is not order:
        return saved
    _keep_details(order, place=request.place.strip(), reach=request.reach.strip())
    DeliveryLine.objects.bulk_create(
        [DeliveryLine(order=order, kit=kit, quantity=count) for kit, count in request.kits]
        + [DeliveryLine(order=order, item=item, quantity=count) for item, count in request.items]
    )
    _audit(worker, order, "delivery.requested")
    return order


@transaction.atomic
def approve_delivery(*, order: DeliveryOrder, worker: User) -> DeliveryOrder:
    """Accept a requested order, so a courier can be given it."""
    locked = _locked(order, Status.REQUESTED)
    return _move(locked, Status.APPROVED, worker, "delivery.approved")


@transaction.atomic
def assign_courier(
    *, order: DeliveryOrder, courier: User, worker: User, reassign: bool = False
) -> DeliveryOrder:
    """Give an approved order to a courier, or let a courier take it themselves.

    ``reassign`` lets a dispatcher move an order that is assigned but not
    yet out to another courier. The courier's bag must hold what this order
    and their other open orders need.
    """
    locked = _locked(order)
    if locked.status == Status.ASSIGNED and not reassign:
        raise DomainError(
            gettext("%(courier)s has already taken this delivery.")
            % {"courier": _name(locked.courier)}
        )
    allowed = (Status.APPROVED, Status.ASSIGNED) if reassign else (Status.APPROVED,)
    _check_status(locked, allowed)
    _check_courier(locked, courier)
    _check_bag_holds(locked, courier)
    locked.courier = courier
    locked.route_position = _next_position(courier, locked.window_date)
    return _move(locked, Status.ASSIGNED, worker, "delivery.assigned")


@transaction.atomic
def mark_out(*, order: DeliveryOrder, courier: User) -> DeliveryOrder:
    """The courier sets off with the order."""
    locked = _courier_locked(order, courier, (Status.ASSIGNED,))
    return _move(locked, Status.OUT, courier, "delivery.out")


@transaction.atomic
def mark_delivered(*, order: DeliveryOrder, courier: User) -> DeliveryOrder:
    """Hand the order over: dispense from the courier's bag, record a courier contact.

    A retry after success returns the order as it is. If the bag is short
    or the site's mode refuses courier contacts, nothing is saved.
    """
    locked = _locked(order)
    if locked.status == Status.DELIVERED and locked.courier_id == courier.pk:
        return locked
    _check_courier_step(locked, courier, DeliveryOrder.WITH_COURIER)
    handout = _handout(locked)
    contact = record_contact(
        site=locked.site,
        worker=courier,
        channel=Channel.COURIER,
        client=locked.client,
        handout=handout,
        location=_bag_for(courier, locked) if _has_lines(handout) else None,
    )
    if locked.art_course is not None and locked.art_days:
        record_art_delivery(
            site=locked.site,
            worker=courier,
            course=locked.art_course,
            days_supplied=locked.art_days,
            contact=contact,
        )
    locked.contact = contact
    return _close(locked, Status.DELIVERED, courier, "delivery.delivered")


@transaction.atomic
def mark_failed(*, order: DeliveryOrder, courier: User, reason: str) -> DeliveryOrder:
    """Close an order the courier could not hand over, with the reason."""
    if reason not in DeliveryOrder.FailureReason.values:
        raise DomainError(gettext("Choose why the delivery failed."))
    locked = _courier_locked(order, courier, DeliveryOrder.WITH_COURIER)
    locked.failure_reason = reason
    return _close(locked, Status.FAILED, courier, "delivery.failed")


@transaction.atomic
def cancel_delivery(*, order: DeliveryOrder, worker: User) -> DeliveryOrder:
    """Call off an order that is not closed yet."""
    locked = _locked(order, *DeliveryOrder.OPEN)
    return _close(locked, Status.CANCELLED, worker, "delivery.cancelled")


@transaction.atomic
def retry_delivery(
    *,
    order: DeliveryOrder,
    worker: User,
    window: Window,
    idempotency_key: uuid.UUID | None = None,
) -> DeliveryOrder:
    """Make a new attempt of a failed order, approved, in a new time window."""
    earlier = earlier_row(DeliveryOrder, idempotency_key, org_id=order.org_id)
    if earlier is not None:
        return earlier
    failed = _locked(order, Status.FAILED)
    if DeliveryOrder.objects.filter(attempt_of=failed).exists():
        raise DomainError(gettext("A new attempt of this order was already made."))
    if failed.place is None:
        raise DomainError(
            gettext("The address of this order is no longer kept; take a new order.")
        )
    _check_window(failed.site, window)
    details = _decrypted(failed)
    attempt = DeliveryOrder(
        org_id=failed.org_id,
        site=failed.site,
        client=failed.client,
        requested_via=failed.requested_via,
        place_kind=failed.place_kind,
        window_date=window.date,
        window_starts=window.starts,
        window_ends=window.ends,
        art_course=failed.art_course,
        art_days=failed.art_days,
        status=Status.APPROVED,
        attempt_of=failed,
        created_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(attempt)
    if saved is not attempt:
        return saved
    _keep_details(attempt, place=details.place, reach=details.reach)
    DeliveryLine.objects.bulk_create(
        DeliveryLine(
            order=attempt, kit_id=line.kit_id, item_id=line.item_id, quantity=line.quantity
        )
        for line in failed.lines.all()
    )
    _audit(worker, attempt, "delivery.retried")
    return attempt


@transaction.atomic
def move_in_route(*, order: DeliveryOrder, courier: User, step: int) -> None:
    """Move one of the courier's open deliveries of its day up (-1) or down (+1)."""
    route = list(
        DeliveryOrder.objects.select_for_update()
        .on_the_way_with(courier.pk)
        .filter(window_date=order.window_date)
        .order_by("route_position", "window_starts", "pk")
    )
    ids = [row.pk for row in route]
    if order.pk not in ids:
        raise DomainError(gettext("This delivery is not yours."))
    here = ids.index(order.pk)
    there = min(max(here + step, 0), len(route) - 1)
    route.insert(there, route.pop(here))
    for position, row in enumerate(route):
        row.route_position = position
    DeliveryOrder.objects.bulk_update(route, ["route_position"])


@transaction.atomic
def reveal_delivery_details(
    *, order: DeliveryOrder, worker: User, as_dispatcher: bool = False
) -> RevealedDetails:
    """Decrypt where to go and how to reach the person, for one person; audited.

    A courier sees them only while the delivery is assigned to them; a
    dispatcher with the right to see contact details, while they are kept.
    """
    mine = order.courier_id == worker.pk and order.status in DeliveryOrder.WITH_COURIER
    if not (mine or as_dispatcher):
        raise DomainError(gettext("The address is shown only while the delivery is yours."))
    if order.place is None:
        raise DomainError(gettext("The address was removed after the order closed."))
    _audit(worker, order, "delivery.details_revealed")
    return _decrypted(order)


def purge_delivery_details(*, today: datetime.date) -> int:
    """Remove addresses and ways to reach people of orders closed long enough ago."""
    cutoff = today - datetime.timedelta(days=settings.DELIVERY_ADDRESS_RETENTION_DAYS)
    return DeliveryOrder.objects.past_retention(cutoff).update(
        place=None, reach=None, details_purged_on=today
    )


def bag_of(courier: User, org_id: int) -> Location | None:
    """The courier bag a person carries in one organisation, if any."""
    return (
        Location.objects.active()
        .filter(org_id=org_id, kind=Location.Kind.COURIER_BAG, holder=courier)
        .order_by("pk")
        .first()
    )


def may_deliver(user: User, org_id: int) -> bool:
    membership = Membership.objects.filter(user=user, org_id=org_id, user__is_active=True).first()
    return membership is not None and role_can(membership.role, Perm.DELIVER)


def _check_request(site: Site, request: OrderRequest) -> Client | None:
    """Refuse a request that cannot be delivered; return whom it is for."""
    org_id = site.org_id
    client = request.client
    course = request.art_course
    if course is not None:
        if course.org_id != org_id or course.stopped_on is not None:
            raise DomainError(gettext("This client is not on the list of clients on ART."))
        if client is not None and client.pk != course.client_id:
            raise DomainError(gettext("The ART supply is for another client."))
        client = course.client
        if not request.art_days or not 1 <= request.art_days <= 180:
            raise DomainError(gettext("Days of ART supplied must be between 1 and 180."))
    if client is not None and client.org_id != org_id:
        raise DomainError(gettext("That client is not known here."))
    things = [kit for kit, _ in request.kits] + [item for item, _ in request.items]
    if not things and course is None:
        raise DomainError(gettext("Say what to deliver."))
    if any(thing.org_id != org_id or not thing.is_active for thing in things):
        raise DomainError(gettext("An item or kit is not in this organisation's catalogue."))
    counts = [count for _, count in request.kits] + [count for _, count in request.items]
    if any(not 0 < count <= MAX_LINE_QUANTITY for count in counts):
        raise DomainError(
            gettext("Each quantity must be between 1 and %(max)d.") % {"max": MAX_LINE_QUANTITY}
        )
    if request.place_kind not in DeliveryOrder.PlaceKind.values:
        raise DomainError(gettext("Say whether it is an address or a meeting point."))
    if request.requested_via not in REQUEST_CHANNELS:
        raise DomainError(gettext("An order comes by phone, messenger or online."))
    _check_text(request.place, MAX_PLACE, gettext("Say where the courier should go."))
    _check_text(request.reach, MAX_REACH, gettext("Say how the courier can reach the person."))
    _check_window(site, request.window)
    return client


def _check_text(value: str, limit: int, missing: str) -> None:
    if not value.strip():
        raise DomainError(missing)
    if len(value.strip()) > limit:
        raise DomainError(gettext("Keep it under %(limit)d characters.") % {"limit": limit})


def _check_window(site: Site, window: Window) -> None:
    if window.ends <= window.starts:
        raise DomainError(gettext("The time window must end after it starts."))
    now = timezone.localtime(timezone=zoneinfo.ZoneInfo(site.timezone))
    if window.date < now.date() or (window.date == now.date() and window.ends <= now.time()):
        raise DomainError(gettext("This time window has already passed."))


def _check_courier(order: DeliveryOrder, courier: User) -> None:
    if not may_deliver(courier, order.org_id):
        raise DomainError(
            gettext("%(name)s does not deliver for this organisation.") % {"name": _name(courier)}
        )


def _bag_for(courier: User, order: DeliveryOrder) -> Location:
    bag = bag_of(courier, order.org_id)
    if bag is None:
        raise DomainError(
            gettext("%(name)s has no courier bag. Add one under Stock, Locations.")
            % {"name": _name(courier)}
        )
    return bag


def _check_bag_holds(order: DeliveryOrder, courier: User) -> None:
    """Refuse a courier whose bag lacks what their open orders and this one need."""
    wanted = _handout(order)
    if not _has_lines(wanted):
        return
    bag = _bag_for(courier, order)
    carried = DeliveryOrder.objects.on_the_way_with(courier.pk).exclude(pk=order.pk)
    handouts = [wanted] + [_handout(other) for other in carried.prefetch_related(*_LINES)]
    needed: Counter[int] = Counter()
    names: dict[int, str] = {}
    for handout in handouts:
        for line in stock_lines(handout, bag, order.window_date):
            needed[line.item.pk] += line.quantity
            names[line.item.pk] = line.item.display_name
    on_hand = (
        StockBalance.objects.filter(location=bag, item_id__in=needed)
        .exclude(expires_on__lt=order.window_date)
        .on_hand_by_item()
    )
    for item_id, quantity in needed.items():
        if on_hand.get(item_id, 0) < quantity:
            raise DomainError(
                gettext(
                    "The bag of %(name)s holds %(on_hand)d of %(item)s; its deliveries need "
                    "%(needed)d. Load the bag first."
                )
                % {
                    "name": _name(courier),
                    "on_hand": on_hand.get(item_id, 0),
                    "item": names[item_id],
                    "needed": quantity,
                }
            )


_LINES = ("lines__kit__components__item__category", "lines__item__category")


def _handout(order: DeliveryOrder) -> Handout:
    lines = list(order.lines.all())
    return Handout(
        kits=[(line.kit, line.quantity) for line in lines if line.kit is not None],
        items=[(line.item, line.quantity) for line in lines if line.item is not None],
    )


def _has_lines(handout: Handout) -> bool:
    return bool(handout.kits or handout.items)


def _next_position(courier: User, date: datetime.date) -> int:
    last = (
        DeliveryOrder.objects.on_the_way_with(courier.pk)
        .filter(window_date=date)
        .aggregate(last=Max("route_position"))["last"]
    )
    return 0 if last is None else last + 1


def _locked(order: DeliveryOrder, *allowed: str) -> DeliveryOrder:
    locked = (
        DeliveryOrder.objects.select_for_update(of=("self",))
        # Not the courier: after waiting for the lock, PostgreSQL rechecks
        # the order's row but not a joined one.
        .select_related("site", "art_course")
        .get(pk=order.pk)
    )
    if allowed:
        _check_status(locked, allowed)
    return locked


def _courier_locked(order: DeliveryOrder, courier: User, allowed: Sequence[str]) -> DeliveryOrder:
    locked = _locked(order)
    _check_courier_step(locked, courier, allowed)
    return locked


def _check_courier_step(order: DeliveryOrder, courier: User, allowed: Sequence[str]) -> None:
    if order.status == Status.CANCELLED:
        raise DomainError(gettext("This order was cancelled: do not deliver it."))
    if order.courier_id != courier.pk:
        raise DomainError(gettext("This delivery is not yours."))
    _check_status(order, allowed)


def _check_status(order: DeliveryOrder, allowed: Sequence[str]) -> None:
    if order.status not in allowed:
        raise DomainError(
            gettext("This order is “%(status)s”; that step cannot be taken now.")
            % {"status": order.get_status_display()}
        )


def _move(order: DeliveryOrder, status: str, worker: User, verb: str) -> DeliveryOrder:
    order.status = status
    order.save(update_fields=["status", "courier", "route_position"])
    _audit(worker, order, verb)
    return order


def _close(order: DeliveryOrder, status: str, worker: User, verb: str) -> DeliveryOrder:
    order.status = status
    order.closed_at = timezone.now()
    order.save(update_fields=["status", "closed_at", "failure_reason", "contact"])
    _audit(worker, order, verb)
    return order


def _keep_details(order: DeliveryOrder, *, place: str, reach: str) -> None:
    order.place = encrypt(place, context=DeliveryOrder.context(order, "place"))
    order.reach = encrypt(reach, context=DeliveryOrder.context(order, "reach"))
    order.save(update_fields=["place", "reach"])


def _decrypted(order: DeliveryOrder) -> RevealedDetails:
    def plain(field: str) -> str:
        token = getattr(order, field)
        return "" if token is None else decrypt(bytes(token), context=order.context(order, field))

    return RevealedDetails(place=plain("place"), reach=plain("reach"))


def _name(user: User | None) -> str:
    return user.get_username() if user is not None else "—"


def _audit(worker: User | None, order: DeliveryOrder, verb: str) -> None:
    audit(actor_id=worker.pk if worker else None, org_id=order.org_id, verb=verb, target=order)
