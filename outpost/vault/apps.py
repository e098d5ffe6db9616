from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "outpost.vault"
    label = "vault"
