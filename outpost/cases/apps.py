from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "outpost.cases"
    label = "cases"
    verbose_name = _("Case management")

    def ready(self) -> None:
        from outpost.cases.actions import purge_case_texts
        from outpost.cases.notes import register_sealed_fields
        from outpost.core import retention

        register_sealed_fields()
        retention.register("case_notes", lambda today: purge_case_texts(today=today))
