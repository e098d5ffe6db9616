"""Number the entries written before the chain existed, hash them, and
create the chain head from the last one.

The hash function is a frozen copy of ``outpost.core.models.chain_hash``:
a migration must not import app code, and entries hashed here must verify
with the function the app uses.
"""

import datetime
import hashlib
import json

from django.db import migrations

GENESIS_HASH = "0" * 64
BATCH = 2000


def chain_hash(seq, at, actor_id, org_id, verb, target_type, target_id, request_id, prev_hash):
    payload = json.dumps(
        [
            "outpost-audit/1",
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


def backfill(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    db = schema_editor.connection.alias
    seq, prev = 0, GENESIS_HASH
    last_pk = 0
    while True:
        batch = list(
            AuditEvent.objects.using(db).filter(pk__gt=last_pk).order_by("pk")[:BATCH]
        )
        if not batch:
            break
        for event in batch:
            seq += 1
            event.seq, event.prev_hash = seq, prev
            event.hash = prev = chain_hash(
                seq,
                event.at,
                event.actor_id,
                event.org_id,
                event.verb,
                event.target_type,
                event.target_id,
                event.request_id,
                event.prev_hash,
            )
        AuditEvent.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash"])
        last_pk = batch[-1].pk
    AuditChainHead.objects.using(db).update_or_create(pk=1, defaults={"seq": seq, "hash": prev})


def forget_head(apps, schema_editor):
    # The numbering goes with the columns when 0002 is reversed.
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    AuditChainHead.objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_add_audit_chain"),
    ]

    operations = [
        migrations.RunPython(backfill, forget_head),
    ]
