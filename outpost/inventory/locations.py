"""Creating and changing the places that hold stock."""

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext

from outpost.core.audit import audit
from outpost.core.errors import DomainError
from outpost.inventory.models import Location, StockBalance
from outpost.orgs.models import User


@transaction.atomic
def save_location(*, location: Location, worker: User) -> Location:
    """Create or change a stock location; one still holding stock stays in use.

    The row is locked while the check runs, so a receipt cannot slip in
    between the check and the save.
    """
    created = location.pk is None
    if not created:
        Location.objects.select_for_update().filter(pk=location.pk).first()
    same_name = Location.objects.filter(org_id=location.org_id, name__iexact=location.name)
    if same_name.exclude(pk=location.pk).exists():
        raise DomainError(
            gettext("Your organisation already has a stock location called %(name)s.")
            % {"name": location.name}
        )
    if location.kind == Location.Kind.STORE and location.site_id is not None:
        stores = Location.objects.filter(site_id=location.site_id, kind=Location.Kind.STORE)
        if stores.exclude(pk=location.pk).exists():
            raise DomainError(
                gettext("That site already has a store; a site draws its stock from one store.")
            )
    if not created and not location.is_active:
        held = (
            StockBalance.objects.filter(location_id=location.pk).aggregate(units=Sum("quantity"))[
                "units"
            ]
            or 0
        )
        if held > 0:
            raise DomainError(
                gettext(
                    "%(place)s still holds %(units)d units. Transfer them elsewhere or write "
                    "them off before taking the place out of use."
                )
                % {"place": location.name, "units": held}
            )
    location.full_clean()
    location.save()
    verb = "stock.location_created" if created else "stock.location_changed"
    audit(actor_id=worker.pk, org_id=location.org_id, verb=verb, target=location)
    return location
