import datetime
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from outpost.catalogue.models import ServiceType
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.core.idempotency import earlier_row, save_once
from outpost.modes.models import Mode, ModeChange, PpeConfirmation
from outpost.modes.policy import DEFAULT_RESTRICTED_CAPACITY, mode_change_at
from outpost.orgs.models import OpeningHours, Site, User

MAX_CAPACITY = 50
MAX_REASON = 500


@transaction.atomic
def change_mode(
    *,
    site: Site,
    manager: User,
    mode: str,
    reason: str,
    capacity: int | None = None,
    services_inside: Sequence[ServiceType] = (),
    idempotency_key: uuid.UUID | None = None,
) -> ModeChange:
    """Put a site into ``mode`` from now on, keeping the change in its history.

    Restricted mode admits one client inside unless a capacity is given;
    remote and closed admit none, so their capacity is not kept.
    """
    # Changes at one site queue on its row: a retry finds the row its first
    # attempt made, and a second manager compares with what the first recorded.
    Site.objects.select_for_update().filter(pk=site.pk).first()
    earlier = earlier_row(ModeChange, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    reason = reason.strip()
    _check_change(site, mode, reason, capacity, services_inside)
    if mode == Mode.RESTRICTED and capacity is None:
        capacity = DEFAULT_RESTRICTED_CAPACITY
    if mode in (Mode.REMOTE, Mode.CLOSED):
        capacity = None
    if mode != Mode.RESTRICTED:
        services_inside = ()
    _check_not_same(site, mode, capacity, services_inside)
    change = ModeChange(
        org_id=site.org_id,
        site=site,
        mode=mode,
        reason=reason,
        capacity=capacity,
        changed_at=timezone.now(),
        changed_by=manager,
        idempotency_key=idempotency_key,
    )
    saved = save_once(change)
    if saved is not change:
        return saved
    if mode == Mode.RESTRICTED:
        change.services_inside.set(services_inside)
    audit(actor_id=manager.pk, org_id=site.org_id, verb="mode.changed", target=change)
    return change


def _check_change(
    site: Site,
    mode: str,
    reason: str,
    capacity: int | None,
    services_inside: Sequence[ServiceType],
) -> None:
    if mode not in Mode.values:
        raise DomainError(gettext("Choose one of the operating modes."))
    if not reason:
        raise DomainError(gettext("Give a reason for the change."))
    if len(reason) > MAX_REASON:
        raise DomainError(
            gettext("Keep the reason under %(max)d characters.") % {"max": MAX_REASON}
        )
    if capacity is not None and not 0 < capacity <= MAX_CAPACITY:
        raise DomainError(
            gettext("Clients inside at once must be between 1 and %(max)d.")
            % {"max": MAX_CAPACITY}
        )
    if any(s.org_id != site.org_id or not s.is_active for s in services_inside):
        raise DomainError(gettext("A service is not in this organisation's catalogue."))


def _check_not_same(
    site: Site, mode: str, capacity: int | None, services_inside: Sequence[ServiceType]
) -> None:
    """Refuse a change that would leave the mode and its settings as they are."""
    current = mode_change_at(site)
    if current is None:
        same = mode == Mode.NORMAL and capacity is None
    else:
        kept = set(current.services_inside.values_list("pk", flat=True))
        same = (
            current.mode == mode
            and current.capacity == capacity
            and kept == {service.pk for service in services_inside}
        )
    if not same:
        return
    names = {"site": site.name, "mode": str(Mode(mode).label).lower()}
    if mode in (Mode.REMOTE, Mode.CLOSED):
        raise DomainError(gettext("%(site)s is already in %(mode)s mode.") % names)
    raise DomainError(gettext("%(site)s is already in %(mode)s mode with these settings.") % names)


@transaction.atomic
def confirm_ppe(*, site: Site, worker: User) -> PpeConfirmation:
    """Record that ``worker`` wears a mask and gloves for today's shift at ``site``."""
    now = timezone.now()
    confirmation, created = PpeConfirmation.objects.get_or_create(
        site=site,
        worker=worker,
        date=site.local_date(now),
        defaults={"org_id": site.org_id, "confirmed_at": now},
    )
    if created:
        audit(actor_id=worker.pk, org_id=site.org_id, verb="ppe.confirmed", target=confirmation)
    return confirmation


@transaction.atomic
def set_opening_hours(
    *,
    site: Site,
    manager: User,
    hours: Sequence[tuple[int, datetime.time, datetime.time]],
) -> list[OpeningHours]:
    """Replace a site's opening hours with ``hours`` (weekday, opens, closes)."""
    for weekday, opens, closes in hours:
        if weekday not in OpeningHours.Weekday.values:
            raise DomainError(gettext("That is not a day of the week."))
        if closes <= opens:
            raise DomainError(
                gettext("On %(day)s the site must close after it opens.")
                % {"day": OpeningHours.Weekday(weekday).label}
            )
    OpeningHours.objects.filter(site=site).delete()
    saved = OpeningHours.objects.bulk_create(
        OpeningHours(site=site, weekday=weekday, opens=opens, closes=closes)
        for weekday, opens, closes in hours
    )
    audit(actor_id=manager.pk, org_id=site.org_id, verb="site.hours_changed", target=site)
    return saved
