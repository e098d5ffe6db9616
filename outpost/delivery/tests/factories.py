import datetime

from outpost.catalogue.models import Kit
from outpost.clients.models import Client
from outpost.delivery.actions import OrderRequest, Window, create_delivery_order
from outpost.delivery.models import DeliveryOrder
from outpost.inventory.actions import store_of
from outpost.inventory.models import Location
from outpost.inventory.transfers import send_transfer
from outpost.orgs.models import Site, User

PLACE = "Kanareikina 7, flat 3"
REACH = "+7 999 000 0777"


def window(site: Site, days_ahead: int = 0) -> Window:
    """Tomorrow-proof hours: the whole day, so "already passed" never bites."""
    return Window(
        site.local_today() + datetime.timedelta(days=days_ahead),
        datetime.time(0, 0),
        datetime.time(23, 59),
    )


def make_order(
    site: Site,
    worker: User,
    kit: Kit,
    *,
    count: int = 1,
    client: Client | None = None,
    days_ahead: int = 0,
) -> DeliveryOrder:
    return create_delivery_order(
        site=site,
        worker=worker,
        request=OrderRequest(
            window=window(site, days_ahead),
            place_kind=DeliveryOrder.PlaceKind.ADDRESS,
            place=PLACE,
            reach=REACH,
            kits=[(kit, count)],
            client=client,
        ),
    )


def make_bag(site: Site, courier: User, kit: Kit | None = None, kits: int = 0) -> Location:
    """A courier bag held by ``courier``, loaded from the store with the kit's parts."""
    bag = Location.objects.create(
        org_id=site.org_id,
        site=site,
        name=f"Bag of {courier.get_username()}",
        kind=Location.Kind.COURIER_BAG,
        holder=courier,
    )
    if kit is not None and kits:
        send_transfer(
            source=store_of(site),
            destination=bag,
            lines=[(part.item, part.quantity * kits) for part in kit.components.all()],
            worker=courier,
            occurred_on=site.local_today(),
            received_now=True,
        )
    return bag


def route_samples(site: Site, worker: User, kit: Kit) -> dict[str, int]:
    return {"delivery_id": make_order(site, worker, kit, days_ahead=1).pk}
