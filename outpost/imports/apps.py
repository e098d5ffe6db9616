from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "outpost.imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from outpost.core import retention
        from outpost.imports.actions import forget_old_files

        retention.register("import_files", lambda today: forget_old_files())
