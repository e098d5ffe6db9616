from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    """Seeded, reproducible datasets at benchmark scales; no models."""

    name = "outpost.datasets"
    label = "datasets"
    verbose_name = "Benchmark datasets"
