from django.apps import AppConfig, apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "outpost.audit"
    label = "audit"

    def ready(self) -> None:
        from outpost.audit import signals

        user_logged_in.connect(signals.record_login, dispatch_uid="audit.login")
        user_login_failed.connect(signals.record_login_failure, dispatch_uid="audit.login_failed")
        user_logged_out.connect(signals.record_logout, dispatch_uid="audit.logout")
        # migrate signals only apps with models, so listen for core's.
        post_migrate.connect(
            signals.reinstall_guard,
            sender=apps.get_app_config("core"),
            dispatch_uid="audit.guard",
        )
