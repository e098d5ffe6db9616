from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "outpost.audit"
    label = "audit"
