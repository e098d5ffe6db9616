from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModesConfig(AppConfig):
    name = "outpost.modes"
    label = "modes"
    verbose_name = _("Operating modes")
