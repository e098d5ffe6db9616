import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.inventory.actions import dispense_stock, store_of
from outpost.modes.history import modes_during
from outpost.modes.models import Mode
from outpost.modes.policy import SitePolicy, check_ppe, policy_at
from outpost.orgs.models import Site, User
from outpost.room.errors import RoomFull
from outpost.room.models import Disinfection, Event, OverdoseIncident, RoomSession, WaitingEntry

MAX_DISPOSED = 1000
MAX_DOSES = 20
MAX_ATTENDEES = 1000
NALOXONE = "naloxone"
# A clock on a phone may run a little ahead of the server's.
CLOCK_SLACK = datetime.timedelta(minutes=5)
# An overdose is recorded as it happens or soon after; a time further back
# than this before the incident was opened is a typing mistake.
BACKDATE_DAYS = 7


def _lock(site: Site) -> None:
    # Check-ins, check-outs, the waiting list and disinfection at one site
    # queue on the site's row (SQLite's IMMEDIATE transactions queue all
    # writers), so a count of who is inside stays true until commit.
    Site.objects.select_for_update().filter(pk=site.pk).first()


def _same_org(site: Site, client: Client) -> None:
    if client.org_id != site.org_id:
        raise DomainError(gettext("That client is not known here."))


@transaction.atomic
def check_in(*, site: Site, client: Client, worker: User) -> RoomSession:
    """Let a client into the consumption space, within the mode's rules.

    Raises RoomFull when every place is taken; the client may then wait.
    """
    _same_org(site, client)
    _lock(site)
    now = timezone.now()
    policy = policy_at(site, now)
    _check_room_open(site, policy)
    if policy.ppe_required:
        check_ppe(site=site, worker=worker, date=site.local_date(now))
    _check_not_inside(client)
    if policy.disinfection_required and RoomSession.objects.blocking_next(site).exists():
        raise DomainError(
            gettext("Record the disinfection after the last client before letting the next in.")
        )
    inside = RoomSession.objects.inside(site).count()
    if policy.capacity is not None and inside >= policy.capacity:
        raise RoomFull(inside=inside, capacity=policy.capacity)
    _check_turn(site, client)
    session = RoomSession(
        org_id=site.org_id,
        site=site,
        client=client,
        checked_in_at=now,
        checked_in_by=worker,
        date=site.local_date(now),
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError:
        # Checked in at another site at the same moment.
        raise DomainError(_already_inside(client)) from None
    WaitingEntry.objects.filter(
        site=site, client=client, status=WaitingEntry.Status.WAITING
    ).update(status=WaitingEntry.Status.ADMITTED, ended_at=now)
    audit(actor_id=worker.pk, org_id=site.org_id, verb="room.checked_in", target=session)
    return session


def _check_room_open(site: Site, policy: SitePolicy) -> None:
    if not policy.room_open:
        raise DomainError(
            gettext("The room is closed to clients in %(mode)s mode.")
            % {"mode": str(policy.mode.label).lower()}
        )


def _check_not_inside(client: Client) -> None:
    if RoomSession.objects.filter(client=client, checked_out_at__isnull=True).exists():
        raise DomainError(_already_inside(client))


def _already_inside(client: Client) -> str:
    return gettext("%(code)s is already inside.") % {"code": client.code}


def _check_turn(site: Site, client: Client) -> None:
    first = (
        WaitingEntry.objects.filter(site=site, status=WaitingEntry.Status.WAITING)
        .select_related("client")
        .order_by("joined_at", "pk")
        .first()
    )
    if first is not None and first.client_id != client.pk:
        raise DomainError(
            gettext("%(code)s is first on the waiting list.") % {"code": first.client.code}
        )


@transaction.atomic
def check_out(*, session: RoomSession, worker: User, disposed: int = 0) -> RoomSession:
    """Let a client out, counting the used equipment they disposed of."""
    site = session.site
    _lock(site)
    current = RoomSession.objects.select_related("client").get(pk=session.pk)
    if current.checked_out_at is not None:
        raise DomainError(gettext("%(code)s is not inside.") % {"code": current.client.code})
    if not 0 <= disposed <= MAX_DISPOSED:
        raise DomainError(
            gettext("Disposed equipment must be between 0 and %(max)d.") % {"max": MAX_DISPOSED}
        )
    now = timezone.now()
    current.checked_out_at = now
    current.checked_out_by = worker
    current.disposed = disposed
    current.needs_disinfection = policy_at(site, now).disinfection_required
    current.save(
        update_fields=["checked_out_at", "checked_out_by", "disposed", "needs_disinfection"]
    )
    audit(actor_id=worker.pk, org_id=site.org_id, verb="room.checked_out", target=current)
    return current


@transaction.atomic
def record_disinfection(*, site: Site, worker: User) -> Disinfection:
    """Record that the space was disinfected after the clients who have left."""
    _lock(site)
    pending = RoomSession.objects.awaiting_disinfection(site)
    if not pending.exists():
        raise DomainError(
            gettext("No client has left the room since the last disinfection; nothing to record.")
        )
    disinfection = Disinfection.objects.create(
        org_id=site.org_id, site=site, recorded_at=timezone.now(), recorded_by=worker
    )
    pending.update(disinfection=disinfection)
    audit(actor_id=worker.pk, org_id=site.org_id, verb="room.disinfected", target=disinfection)
    return disinfection


@transaction.atomic
def add_to_waiting_list(*, site: Site, client: Client, worker: User) -> WaitingEntry:
    """Put a client at the end of the waiting list."""
    _same_org(site, client)
    _lock(site)
    _check_room_open(site, policy_at(site))
    _check_not_inside(client)
    waiting = WaitingEntry.objects.filter(
        site=site, client=client, status=WaitingEntry.Status.WAITING
    )
    if waiting.exists():
        raise DomainError(
            gettext("%(code)s is already on the waiting list.") % {"code": client.code}
        )
    entry = WaitingEntry.objects.create(
        org_id=site.org_id, site=site, client=client, joined_at=timezone.now(), added_by=worker
    )
    audit(actor_id=worker.pk, org_id=site.org_id, verb="room.waiting_added", target=entry)
    return entry


@transaction.atomic
def remove_from_waiting_list(*, entry: WaitingEntry, worker: User) -> WaitingEntry:
    """Take a client who went away off the waiting list."""
    _lock(entry.site)
    current = WaitingEntry.objects.select_related("client").get(pk=entry.pk)
    if current.status != WaitingEntry.Status.WAITING:
        raise DomainError(
            gettext("%(code)s is no longer on the waiting list.") % {"code": current.client.code}
        )
    current.status = WaitingEntry.Status.LEFT
    current.ended_at = timezone.now()
    current.save(update_fields=["status", "ended_at"])
    audit(actor_id=worker.pk, org_id=current.org_id, verb="room.waiting_removed", target=current)
    return current


@transaction.atomic
def start_incident(
    *,
    site: Site,
    worker: User,
    session: RoomSession | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> OverdoseIncident:
    """Open an overdose incident now, for the client of ``session`` if given.

    Every mode allows it: an overdose is answered even at a closed site.
    """
    earlier = earlier_row(OverdoseIncident, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    if session is not None and session.site_id != site.pk:
        raise DomainError(gettext("That session is not at this site."))
    now = timezone.now()
    incident = OverdoseIncident(
        org_id=site.org_id,
        site=site,
        session=session,
        client_id=session.client_id if session is not None else None,
        occurred_at=now,
        date=site.local_date(now),
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(incident)
    if saved is not incident:
        return saved
    audit(actor_id=worker.pk, org_id=site.org_id, verb="overdose.started", target=incident)
    return incident


@dataclass(frozen=True)
class Response:
    """What was seen and done in an overdose, and how it ended."""

    occurred_at: datetime.datetime | None
    signs: Sequence[str] = ()
    naloxone_item: Item | None = None
    naloxone_doses: int = 0
    oxygen: bool = False
    rescue_breathing: bool = False
    ambulance_called_at: datetime.datetime | None = None
    ambulance_arrived_at: datetime.datetime | None = None
    outcome: str = OverdoseIncident.Outcome.PENDING
    client: Client | None = None


@transaction.atomic
def record_response(
    *, incident: OverdoseIncident, worker: User, response: Response
) -> OverdoseIncident:
    """Save the details of an incident; new naloxone doses leave the site's store.

    Doses already taken from stock cannot be taken back here: a correction
    is a stock adjustment.
    """
    current = (
        OverdoseIncident.objects.select_for_update().select_related("site").get(pk=incident.pk)
    )
    site = current.site
    occurred_at = _check_response(current, response)
    extra = response.naloxone_doses - current.naloxone_doses
    current.occurred_at = occurred_at
    current.date = site.local_date(occurred_at)
    current.client = response.client
    current.signs = list(dict.fromkeys(response.signs))
    current.naloxone_item = response.naloxone_item if response.naloxone_doses else None
    current.naloxone_doses = response.naloxone_doses
    current.oxygen = response.oxygen
    current.rescue_breathing = response.rescue_breathing
    current.ambulance_called_at = response.ambulance_called_at
    current.ambulance_arrived_at = response.ambulance_arrived_at
    current.outcome = response.outcome
    current.save()
    if extra > 0 and response.naloxone_item is not None:
        movements = dispense_stock(
            location=store_of(site),
            lines=[(response.naloxone_item, extra)],
            worker=worker,
            occurred_on=current.date,
        )
        current.stock_movements.add(*movements)
    audit(actor_id=worker.pk, org_id=site.org_id, verb="overdose.recorded", target=current)
    return current


def _check_response(incident: OverdoseIncident, response: Response) -> datetime.datetime:
    """Refuse an impossible response; return its time, which it must have."""
    when = response.occurred_at
    if when is None:
        raise DomainError(gettext("Give the time of the overdose."))
    if when > timezone.now() + CLOCK_SLACK:
        raise DomainError(gettext("The time of the overdose cannot be in the future."))
    # Measured from when the incident was opened, so its outcome can still
    # be completed weeks later without the time being refused.
    if when < incident.recorded_at - datetime.timedelta(days=BACKDATE_DAYS):
        raise DomainError(
            ngettext(
                "The time of the overdose cannot be more than %(days)d day before "
                "the incident was opened. Check the date.",
                "The time of the overdose cannot be more than %(days)d days before "
                "the incident was opened. Check the date.",
                BACKDATE_DAYS,
            )
            % {"days": BACKDATE_DAYS}
        )
    if response.client is not None and response.client.org_id != incident.org_id:
        raise DomainError(gettext("That client is not known here."))
    if set(response.signs) - set(OverdoseIncident.Sign.values):
        raise DomainError(gettext("Choose the signs from the list."))
    if response.outcome not in OverdoseIncident.Outcome.values:
        raise DomainError(gettext("Choose an outcome from the list."))
    _check_doses(incident, response)
    called, arrived = response.ambulance_called_at, response.ambulance_arrived_at
    if arrived is not None and called is None:
        raise DomainError(gettext("Give the time the ambulance was called."))
    if called is not None and called < when:
        raise DomainError(gettext("The ambulance cannot be called before the overdose."))
    if called is not None and arrived is not None and arrived < called:
        raise DomainError(gettext("The ambulance cannot arrive before it was called."))
    return when


def _check_doses(incident: OverdoseIncident, response: Response) -> None:
    doses, item = response.naloxone_doses, response.naloxone_item
    if not 0 <= doses <= MAX_DOSES:
        raise DomainError(
            gettext("Naloxone doses must be between 0 and %(max)d.") % {"max": MAX_DOSES}
        )
    if doses < incident.naloxone_doses:
        raise DomainError(
            gettext(
                "%(doses)d doses were already taken from stock; the number cannot go down. "
                "Correct the stock with an adjustment instead."
            )
            % {"doses": incident.naloxone_doses}
        )
    if doses == 0:
        return
    if item is None:
        raise DomainError(gettext("Choose the naloxone that was given."))
    if item.org_id != incident.org_id or item.category.code != NALOXONE:
        raise DomainError(gettext("That item is not naloxone from this organisation's catalogue."))
    if incident.naloxone_doses and incident.naloxone_item_id != item.pk:
        raise DomainError(gettext("Keep the naloxone already recorded for this incident."))


@transaction.atomic
def record_event(
    *,
    site: Site,
    worker: User,
    kind: str,
    date: datetime.date,
    topic: str,
    facilitator: str,
    clients: Sequence[Client] = (),
    anonymous_count: int = 0,
    idempotency_key: uuid.UUID | None = None,
) -> Event:
    """Record a group, information session or training and who attended."""
    earlier = earlier_row(Event, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    topic, facilitator = topic.strip(), facilitator.strip()
    _check_event(site, kind, date, topic, facilitator, clients, anonymous_count)
    event = Event(
        org_id=site.org_id,
        site=site,
        kind=kind,
        date=date,
        topic=topic,
        facilitator=facilitator,
        anonymous_count=anonymous_count,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(event)
    if saved is not event:
        return saved
    event.clients.set(clients)
    audit(actor_id=worker.pk, org_id=site.org_id, verb="event.recorded", target=event)
    return event


def _check_event(
    site: Site,
    kind: str,
    date: datetime.date,
    topic: str,
    facilitator: str,
    clients: Sequence[Client],
    anonymous_count: int,
) -> None:
    if kind not in Event.Kind.values:
        raise DomainError(gettext("Choose the kind of event."))
    if not topic or not facilitator:
        raise DomainError(gettext("Give the topic and the facilitator."))
    if date > site.local_today():
        raise DomainError(gettext("Record an event once it has taken place."))
    if all(span.mode == Mode.CLOSED for span in modes_during(site, date, date)):
        raise DomainError(
            gettext("%(site)s was closed on %(date)s: nothing is recorded there.")
            % {"site": site.name, "date": date.isoformat()}
        )
    if any(client.org_id != site.org_id for client in clients):
        raise DomainError(gettext("That client is not known here."))
    if not 0 <= anonymous_count <= MAX_ATTENDEES:
        raise DomainError(
            gettext("Attendees without a code must be between 0 and %(max)d.")
            % {"max": MAX_ATTENDEES}
        )
    if not clients and not anonymous_count:
        raise DomainError(gettext("Record who attended: by code, as a count, or both."))
