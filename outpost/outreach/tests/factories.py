import datetime

from django.utils import timezone

from outpost.inventory.models import Location
from outpost.orgs.models import Site, User
from outpost.outreach.models import Shift, Stop


def make_unit(site: Site, name: str = "Bus 1") -> Location:
    return Location.objects.create(
        org_id=site.org_id, site=site, name=name, kind=Location.Kind.MOBILE_UNIT
    )


def make_stop(
    unit: Location,
    worker: User,
    date: datetime.date,
    place: str = "Market square",
    starts: datetime.time = datetime.time(10),
    ends: datetime.time = datetime.time(14),
) -> Stop:
    """A stop written directly, so fixtures may lie in the past."""
    return Stop.objects.create(
        org_id=unit.org_id,
        unit=unit,
        place=place,
        date=date,
        starts=starts,
        ends=ends,
        planned_by=worker,
    )


def make_shift(stop: Stop, worker: User) -> Shift:
    shift = Shift.objects.create(
        org_id=stop.org_id, stop=stop, started_at=timezone.now(), started_by=worker
    )
    shift.staff.add(worker)
    return shift


def route_samples(site: Site, worker: User) -> dict[str, int]:
    """One record of each kind the outreach URLs name, for the route walk."""
    unit = make_unit(site, "Route bus")
    stop = make_stop(unit, worker, site.local_today())
    shift = make_shift(make_stop(unit, worker, site.local_today(), "Station"), worker)
    return {"unit_id": unit.pk, "stop_id": stop.pk, "shift_id": shift.pk}
