"""The audit trail: an append-only hash chain of who did what to which id.

Entries are written in the caller's transaction, so an action and its entry
commit or roll back together. Appends are serialised by locking the single
``AuditChainHead`` row; on SQLite, IMMEDIATE transactions already admit one
writer at a time. The lock is held until the caller's transaction ends, so
call ``audit()`` last, after any other row locks, to keep the lock order
the same everywhere and the wait short.
"""

import contextvars

from django.db import models, transaction
from django.utils import timezone

from outpost.core.models import GENESIS_HASH, AuditChainHead, AuditEvent

# Set per request by RequestIdMiddleware; commands run with an empty id.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

HEAD_PK = 1


def audit(
    *,
    actor_id: int | None,
    org_id: int | None,
    verb: str,
    target: models.Model | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``verb`` to ``target``, in the caller's transaction."""
    # savepoint=False: a failed append must fail the caller's whole action.
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        entry = AuditEvent(
            seq=head.seq + 1,
            # Taken under the lock, so times follow the chain's order.
            at=timezone.now(),
            actor_id=actor_id,
            org_id=org_id,
            verb=verb,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=target.pk if target is not None else None,
            request_id=request_id.get(),
            prev_hash=head.hash,
        )
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=HEAD_PK).update(seq=entry.seq, hash=entry.hash)
    return entry


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is not None:
        return head
    # The row comes from migration core 0003; only a flush (as between
    # transactional tests) removes it. Rebuild it from the last entry, so a
    # missing head never restarts the chain at 1.
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, hash_ = last if last is not None else (0, GENESIS_HASH)
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(pk=HEAD_PK, seq=seq, hash=hash_)], ignore_conflicts=True
    )
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
