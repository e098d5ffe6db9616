from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "outpost.backup"
    label = "backup"
