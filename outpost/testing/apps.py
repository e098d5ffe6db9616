from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestingConfig(AppConfig):
    name = "outpost.testing"
    label = "testing"
    verbose_name = _("Testing and linkage to care")

    def ready(self) -> None:
        from outpost.core import retention
        from outpost.testing.actions import purge_health_records

        retention.register("health_records", lambda today: purge_health_records(today=today))
