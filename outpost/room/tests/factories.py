"""Small helpers that put a site into a mode and people into the room."""

from collections.abc import Sequence

from outpost.catalogue.models import ServiceType
from outpost.clients.models import Client
from outpost.core.tests.base import make_client
from outpost.modes.actions import change_mode, confirm_ppe
from outpost.modes.models import Mode, ModeChange
from outpost.orgs.models import Organisation, Site, User
from outpost.room.actions import add_to_waiting_list, check_in, record_event, start_incident
from outpost.room.models import Event


def set_mode(
    site: Site,
    manager: User,
    mode: str,
    *,
    capacity: int | None = None,
    services_inside: Sequence[ServiceType] = (),
) -> ModeChange:
    return change_mode(
        site=site,
        manager=manager,
        mode=mode,
        reason="Test",
        capacity=capacity,
        services_inside=services_inside,
    )


def restrict(site: Site, manager: User, *, capacity: int | None = None) -> ModeChange:
    """Restricted mode, with ``manager`` already in mask and gloves."""
    change = set_mode(site, manager, Mode.RESTRICTED, capacity=capacity)
    confirm_ppe(site=site, worker=manager)
    return change


def more_clients(org: Organisation, worker: User, count: int) -> list[Client]:
    """Clients other than anna (whose mother is Olena, born 1985)."""
    return [make_client(org, worker, mother="Boris", birth_year=1990 + n) for n in range(count)]


def route_samples(site: Site, worker: User, client: Client) -> dict[str, int]:
    """One record of each kind the room's URLs name, for the route walk."""
    session = check_in(site=site, client=client, worker=worker)
    waiting = add_to_waiting_list(
        site=site, client=more_clients(site.org, worker, 1)[0], worker=worker
    )
    incident = start_incident(site=site, worker=worker, session=session)
    event = record_event(
        site=site,
        worker=worker,
        kind=Event.Kind.SELF_HELP,
        date=site.local_today(),
        topic="Peer support",
        facilitator="Peer",
        anonymous_count=3,
    )
    return {
        "room_session_id": session.pk,
        "entry_id": waiting.pk,
        "incident_id": incident.pk,
        "event_id": event.pk,
    }
