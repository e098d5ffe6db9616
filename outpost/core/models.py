from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing a person did or looked at, kept for investigations.

    It holds ids and verbs only, never client details, so the log itself
    gives nothing away.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_id = models.BigIntegerField(null=True, db_index=True)
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.target_type}#{self.target_id}"
