from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "outpost.core"
    label = "core"
