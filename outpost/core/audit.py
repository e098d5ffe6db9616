import contextvars

from django.db import models

from outpost.core.models import AuditEvent

# Set per request by RequestIdMiddleware; commands run with an empty id.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def audit(*, actor_id: int | None, org_id: int | None, verb: str, target: models.Model) -> None:
    """Record that ``actor`` did ``verb`` to ``target``, in the caller's transaction."""
    AuditEvent.objects.create(
        actor_id=actor_id,
        org_id=org_id,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=target.pk,
    )
