from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "outpost.reports"
    verbose_name = "Reports"
