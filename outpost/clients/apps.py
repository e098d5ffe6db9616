from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "outpost.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from outpost.clients.contact_details import purge_stale_contact_details
        from outpost.clients.models import ContactDetails
        from outpost.core import retention
        from outpost.vault import registry

        registry.register(
            ContactDetails,
            "phone",
            context=lambda row: ContactDetails.context(row, "phone"),
            index_field="phone_index",
            index_kind="phone",
        )
        registry.register(
            ContactDetails,
            "telegram",
            context=lambda row: ContactDetails.context(row, "telegram"),
            index_field="telegram_index",
            index_kind="telegram",
        )
        retention.register(
            "contact_details", lambda today: purge_stale_contact_details(today=today)
        )
