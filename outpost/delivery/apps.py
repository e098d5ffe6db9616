from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "outpost.delivery"
    label = "delivery"
    verbose_name = _("Courier delivery")

    def ready(self) -> None:
        from outpost.core import retention
        from outpost.delivery.actions import purge_delivery_details
        from outpost.delivery.models import DeliveryOrder
        from outpost.vault import registry

        registry.register(
            DeliveryOrder, "place", context=lambda row: DeliveryOrder.context(row, "place")
        )
        registry.register(
            DeliveryOrder, "reach", context=lambda row: DeliveryOrder.context(row, "reach")
        )
        retention.register("delivery_details", lambda today: purge_delivery_details(today=today))
