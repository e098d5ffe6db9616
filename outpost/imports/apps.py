from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "outpost.imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from outpost.core import retention
        from outpost.imports.actions import forget_old_files

        retention.register("import_files", lambda today: forget_old_files())
