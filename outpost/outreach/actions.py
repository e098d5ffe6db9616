"""Mobile units: stops planned, shifts worked, stock counted at the end; web figures."""

import datetime
import uuid
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.inventory.models import Location, Stocktake
from outpost.inventory.stocktakes import start_count
from outpost.orgs.models import User
from outpost.outreach.models import Shift, Stop, WebOutreachFigures

MAX_FIGURE = 10_000_000


@transaction.atomic
def plan_stop(
    *,
    unit: Location,
    worker: User,
    place: str,
    date: datetime.date,
    starts: datetime.time,
    ends: datetime.time,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> Stop:
    """Put a stop of a mobile unit on the timetable that clients see."""
    earlier = earlier_row(Stop, idempotency_key, org_id=unit.org_id)
    if earlier is not None:
        return earlier
    _check_unit(unit)
    if not place.strip():
        raise DomainError(gettext("Name the place of the stop."))
    if ends <= starts:
        raise DomainError(gettext("The stop must end after it starts."))
    now = _now_at(unit)
    if date < now.date() or (date == now.date() and ends <= now.time()):
        raise DomainError(gettext("A stop cannot be planned in the past."))
    if (latitude is None) != (longitude is None):
        raise DomainError(gettext("Give both coordinates, or neither."))
    stop = Stop(
        org_id=unit.org_id,
        unit=unit,
        place=place.strip(),
        latitude=latitude,
        longitude=longitude,
        date=date,
        starts=starts,
        ends=ends,
        planned_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(stop)
    if saved is stop:
        audit(actor_id=worker.pk, org_id=unit.org_id, verb="stop.planned", target=stop)
    return saved


@transaction.atomic
def cancel_stop(*, stop: Stop, worker: User) -> Stop:
    """Take a stop off the timetable; clients see that it is cancelled."""
    locked = Stop.objects.select_for_update().get(pk=stop.pk)
    if Shift.objects.filter(stop=locked).exists():
        raise DomainError(gettext("A shift has started at this stop; it cannot be cancelled."))
    locked.is_cancelled = True
    locked.save(update_fields=["is_cancelled"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="stop.cancelled", target=locked)
    return locked


@transaction.atomic
def start_shift(*, stop: Stop, worker: User) -> Shift:
    """Start the shift at a stop, or join the team already working it.

    The stop's row is locked, so a shift cannot start while the stop is
    being cancelled, and two people starting at once share one shift.
    """
    locked = (
        Stop.objects.select_for_update(of=("self",)).select_related("unit__site").get(pk=stop.pk)
    )
    if locked.is_cancelled:
        raise DomainError(gettext("This stop is cancelled."))
    if locked.date != locked.unit.local_today():
        raise DomainError(gettext("A shift starts on the day of its stop."))
    shift = Shift.objects.filter(stop=locked).first()
    verb = "shift.joined"
    if shift is None:
        shift = Shift.objects.create(
            org_id=locked.org_id, stop=locked, started_at=timezone.now(), started_by=worker
        )
        verb = "shift.started"
    if not shift.is_open:
        raise DomainError(gettext("This shift has ended."))
    shift.staff.add(worker)
    audit(actor_id=worker.pk, org_id=locked.org_id, verb=verb, target=shift)
    return shift


@transaction.atomic
def end_shift(*, shift: Shift, worker: User) -> Stocktake:
    """End a shift and open the count of the stock on board.

    Applying the count (``inventory.stocktakes``) records the differences.
    """
    locked = Shift.objects.select_for_update().select_related("stop__unit").get(pk=shift.pk)
    if not locked.is_open:
        raise DomainError(gettext("This shift has ended."))
    if not locked.staff.filter(pk=worker.pk).exists():
        raise DomainError(gettext("Only the team of this shift can end it."))
    stocktake = start_count(location=locked.stop.unit, worker=worker)
    locked.ended_at = timezone.now()
    locked.ended_by = worker
    locked.stocktake = stocktake
    locked.save(update_fields=["ended_at", "ended_by", "stocktake"])
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="shift.ended", target=locked)
    return stocktake


@transaction.atomic
def record_web_figures(
    *,
    org_id: int,
    worker: User,
    month: datetime.date,
    name: str,
    kind: str,
    audience: int,
    consultations: int,
) -> WebOutreachFigures:
    """Keep a month's figures of a channel or chat; entering them again replaces them."""
    first = month.replace(day=1)
    if first > timezone.localdate().replace(day=1):
        raise DomainError(gettext("Figures are entered for a month that has begun."))
    if not name.strip():
        raise DomainError(gettext("Name the channel or chat."))
    if kind not in WebOutreachFigures.Kind.values:
        raise DomainError(gettext("Say whether it is a channel or a chat."))
    if not (0 <= audience <= MAX_FIGURE and 0 <= consultations <= MAX_FIGURE):
        raise DomainError(
            gettext("Each figure must be between 0 and %(max)d.") % {"max": MAX_FIGURE}
        )
    figures, _ = WebOutreachFigures.objects.update_or_create(
        org_id=org_id,
        month=first,
        name=name.strip(),
        defaults={
            "kind": kind,
            "audience": audience,
            "consultations": consultations,
            "entered_by": worker,
        },
    )
    audit(actor_id=worker.pk, org_id=org_id, verb="web_figures.recorded", target=figures)
    return figures


def _check_unit(unit: Location) -> None:
    if unit.kind != Location.Kind.MOBILE_UNIT or not unit.is_active:
        raise DomainError(gettext("Stops are planned for a mobile unit in use."))
    if unit.site_id is None:
        raise DomainError(
            gettext("%(unit)s works from no site; give it one under Stock, Locations.")
            % {"unit": unit.name}
        )


def _now_at(unit: Location) -> datetime.datetime:
    zone = zoneinfo.ZoneInfo(unit.site.timezone) if unit.site else None
    return timezone.localtime(timezone=zone)
