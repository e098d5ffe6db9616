from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demonstration data modelled on two real programmes; no models."""

    name = "outpost.demo"
    label = "demo"
    verbose_name = "Demo data"
