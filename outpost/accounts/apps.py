from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "outpost.accounts"
    label = "accounts"

    def ready(self) -> None:
        from outpost.accounts import signals  # noqa: F401 - connects the receivers
