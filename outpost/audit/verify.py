"""Walk the audit chain and report the first place it was tampered with.

A changed entry no longer matches its hash; a deleted one leaves a gap in
``seq`` or a broken link; swapped or inserted entries break both. The chain
head catches entries cut from or added to the end. Someone who can rewrite
the whole tail and the head together is caught only by an ``anchor``: a
(seq, hash) pair written down earlier somewhere else.

Messages are for the operator running ``verify_audit`` and stay in English.
"""

import dataclasses

from django.db.models import QuerySet

from outpost.core.audit import HEAD_PK
from outpost.core.models import GENESIS_HASH, AuditChainHead, AuditEvent, chain_hash

CHUNK_SIZE = 2000
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "org_id",
    "verb",
    "target_type",
    "target_id",
    "request_id",
    "prev_hash",
    "hash",
)


@dataclasses.dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str


@dataclasses.dataclass
class ChainReport:
    checked: int = 0
    problem: str = ""
    last_seq: int = 0
    last_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return not self.problem


class _Broken(Exception):
    pass


def verify_chain(*, anchor: Anchor | None = None, using: str = "default") -> ChainReport:
    """Recompute every hash in ``seq`` order and compare the end with the head."""
    report = ChainReport()
    entries = AuditEvent.objects.using(using)
    try:
        # Everything visible now, including stray rows numbered below 1.
        _walk(report, entries.all(), anchor)
        head = AuditChainHead.objects.using(using).filter(pk=HEAD_PK).first()
        if head is None:
            if report.checked:
                raise _Broken("The chain head is missing.")
            return report
        if report.last_seq > head.seq:
            first = head.seq + 1
            raise _Broken(f"Entry {first} is past the chain head: it was added outside audit().")
        if report.last_seq < head.seq:
            # Appended while the walk ran: each entry commits with the head,
            # so every entry up to the head's number must be there now.
            _walk(report, entries.filter(seq__gt=report.last_seq, seq__lte=head.seq), anchor)
        if report.last_seq < head.seq:
            first, last = report.last_seq + 1, head.seq
            raise _Broken(f"Entries {first} to {last} are missing from the end of the chain.")
        if report.last_hash != head.hash:
            last = report.last_seq
            raise _Broken(f"The last entry, {last}, does not match the chain head.")
        if anchor is not None and anchor.seq > report.last_seq:
            anchored = anchor.seq
            raise _Broken(f"The anchored entry {anchored} is not in the chain.")
    except _Broken as broken:
        report.problem = str(broken)
    return report


def _walk(report: ChainReport, entries: QuerySet[AuditEvent], anchor: Anchor | None) -> None:
    rows = entries.order_by("seq").values_list(*FIELDS).iterator(chunk_size=CHUNK_SIZE)
    expected, prev = report.last_seq + 1, report.last_hash
    for seq, at, actor_id, org_id, verb, target_type, target_id, request_id, link, stored in rows:
        before = expected - 1
        if seq > expected:
            raise _Broken(f"Entry {expected} is missing: the chain jumps from {before} to {seq}.")
        if seq != expected:
            raise _Broken(f"Entry {seq} is out of place.")
        if link != prev:
            raise _Broken(
                f"Entry {seq} does not link to entry {before}: "
                "an entry was removed, inserted or moved."
            )
        computed = chain_hash(
            seq=seq,
            at=at,
            actor_id=actor_id,
            org_id=org_id,
            verb=verb,
            target_type=target_type,
            target_id=target_id,
            request_id=request_id,
            prev_hash=link,
        )
        if computed != stored:
            raise _Broken(f"Entry {seq} does not match its hash: it was changed or moved.")
        if anchor is not None and seq == anchor.seq and stored != anchor.hash:
            raise _Broken(
                f"Entry {seq} does not carry the anchored hash: the chain was rewritten."
            )
        report.checked += 1
        report.last_seq, report.last_hash = seq, stored
        expected, prev = seq + 1, stored
