import datetime
import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone

# The first entry links to this instead of a previous hash.
GENESIS_HASH = "0" * 64
# Part of every hashed payload, so a future change of layout can be told
# apart from tampering.
CHAIN_FORMAT = "outpost-audit/1"


def chain_hash(
    *,
    seq: int,
    at: datetime.datetime,
    actor_id: int | None,
    org_id: int | None,
    verb: str,
    target_type: str,
    target_id: int | None,
    request_id: str,
    prev_hash: str,
) -> str:
    """The SHA-256 of one audit entry and the hash of the entry before it.

    The payload is a JSON array in a fixed order with the time in UTC to the
    microsecond, so the same entry hashes the same on SQLite and PostgreSQL.
    A copy lives in migration core 0003; change neither without the other.
    """
    payload = json.dumps(
        [
            CHAIN_FORMAT,
            seq,
            at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            actor_id,
            org_id,
            verb,
            target_type,
            target_id,
            request_id,
            prev_hash,
        ],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


class AuditEvent(models.Model):
    """One thing a person did or looked at, kept for investigations.

    It holds ids and verbs only, never client details, so the log itself
    gives nothing away. Entries form a hash chain in ``seq`` order, and the
    database refuses to change or delete them (migration core 0005).
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: the chain hashes the actor's id, so an account with a history
    # is deactivated, never deleted (SET_NULL would need an UPDATE here).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    org_id = models.BigIntegerField(null=True)
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["org_id", "-seq"], name="core_audit_org_seq_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.seq} {self.at:%Y-%m-%d %H:%M} {self.verb} {self.target_type}#{self.target_id}"
        )

    def compute_hash(self) -> str:
        """The hash this entry's fields and link should carry."""
        return chain_hash(
            seq=self.seq,
            at=self.at,
            actor_id=self.actor_id,
            org_id=self.org_id,
            verb=self.verb,
            target_type=self.target_type,
            target_id=self.target_id,
            request_id=self.request_id,
            prev_hash=self.prev_hash,
        )


class AuditChainHead(models.Model):
    """The chain's last sequence number and hash, in a single row.

    Appending locks this row, so two transactions can never take the same
    number or link to the same predecessor.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="audit_chain_head_single_row")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
