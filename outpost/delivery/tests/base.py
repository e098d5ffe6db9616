from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff
from outpost.delivery.models import DeliveryOrder
from outpost.delivery.tests.factories import make_bag
from outpost.inventory.models import Location, StockBalance
from outpost.orgs.models import User


class DeliveryTestCase(BaseTestCase):
    """Org A with two couriers: Kostya carries five injecting kits, Lena an empty bag."""

    kostya: User
    lena: User
    bag: Location

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.kostya = make_staff(cls.org, "kostya", Role.COURIER, cls.site)
        cls.lena = make_staff(cls.org, "lena", Role.COURIER, cls.site)
        cls.bag = make_bag(cls.site, cls.kostya, cls.injecting_kit, kits=5)
        make_bag(cls.site, cls.lena)

    def in_bag(self, location: Location | None = None) -> dict[int, int]:
        return StockBalance.objects.filter(location=location or self.bag).on_hand_by_item()

    def reload(self, order: DeliveryOrder) -> DeliveryOrder:
        return DeliveryOrder.objects.get(pk=order.pk)
