"""Forecast settings of one location's items (SPEC §5).

Each item at a location may have its own lead time, safety margin and
review period; an item without settings uses the location's days.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from outpost.catalogue.models import Item
from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.inventory.models import Location, StockPolicy
from outpost.orgs.models import User

MAX_DAYS = 365


@dataclass(frozen=True)
class PolicyDays:
    """Days typed for one item; None means "use the location's"."""

    lead_time_days: int | None = None
    safety_days: int | None = None
    review_days: int | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.lead_time_days is None and self.safety_days is None and self.review_days is None
        )


@transaction.atomic
def save_stock_policies(
    *, location: Location, days: Mapping[int, PolicyDays], worker: User
) -> list[StockPolicy]:
    """Set the forecast days of the given items at a location, all or nothing.

    An item with no days typed loses its own settings and follows the
    location again; a day left empty beside typed ones takes the
    location's value at the time of saving. Returns the rows kept.
    """
    items = Item.objects.filter(org_id=location.org_id).in_bulk(list(days))
    if len(items) != len(days):
        raise DomainError(gettext("That item is not in this organisation's catalogue."))
    for values in days.values():
        for value in (values.lead_time_days, values.safety_days, values.review_days):
            if value is not None and not 0 <= value <= MAX_DAYS:
                raise DomainError(
                    gettext("Days must be between 0 and %(max)d.") % {"max": MAX_DAYS}
                )
    existing = {
        policy.item_id: policy
        for policy in StockPolicy.objects.select_for_update().filter(
            location=location, item_id__in=list(days)
        )
    }
    kept: list[StockPolicy] = []
    removed: list[int] = []
    for item_id, values in days.items():
        policy = existing.get(item_id)
        if values.is_empty:
            if policy is not None:
                removed.append(policy.pk)
            continue
        wanted = (
            _or_default(values.lead_time_days, location.lead_time_days),
            _or_default(values.safety_days, location.safety_days),
            _or_default(values.review_days, location.review_days),
        )
        if policy is None:
            policy = StockPolicy(location=location, item_id=item_id)
        elif (policy.lead_time_days, policy.safety_days, policy.review_days) == wanted:
            kept.append(policy)
            continue
        policy.lead_time_days, policy.safety_days, policy.review_days = wanted
        policy.full_clean()
        policy.save()
        kept.append(policy)
    StockPolicy.objects.filter(pk__in=removed).delete()
    audit(actor_id=worker.pk, org_id=location.org_id, verb="stock.policies_saved", target=location)
    return kept


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value
