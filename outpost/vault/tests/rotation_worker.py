"""A separate process for the rotation kill test (T12).

Run as ``python -m outpost.vault.tests.rotation_worker MODE [ARG]`` with
KEY_DIR and the database chosen through the environment, as in production:

- ``seed N``: migrate, then make N clients with encrypted contact details;
- ``rotate BATCH``: ``manage.py rotate_keys --purpose all --batch BATCH``;
- ``census``: how many rows the next ``rotate_keys`` run must touch;
- ``verify``: delete the retired keys, then decrypt and check every row.

Each mode prints one JSON line last.
"""

import json
import sys

import django


def main(mode: str, arg: int) -> dict[str, object]:
    django.setup()
    from django.core.management import call_command

    from outpost.clients.models import ContactDetails
    from outpost.orgs.models import Organisation
    from outpost.vault import keys
    from outpost.vault.crypto import blind_index, decrypt, token_key_id
    from outpost.vault.models import DataKey
    from outpost.vault.rotation import count_rows_on_old_keys, plan
    from outpost.vault.tests import factories

    # The clients app may register its fields itself; this is the same.
    rows = ContactDetails.objects.all()

    def stale_indexes() -> int:
        # Per index column, as rotate_keys counts.
        return sum(
            (row.phone_index != blind_index("phone", factories.phone_of(row.pk)))
            + (row.telegram_index != blind_index("telegram", factories.telegram_of(row.pk)))
            for row in rows.iterator(chunk_size=2000)
        )

    if mode == "seed":
        call_command("migrate", verbosity=0)
        org = Organisation.objects.create(name="Kill test", slug="kill-test")
        factories.make_contact_details(factories.make_clients(org, arg))
        count, digest = factories.plaintext_digest()
        return {"count": count, "digest": digest}
    if mode == "rotate":
        call_command("rotate_keys", "--purpose", "all", "--batch", str(arg))
        return {}
    if mode == "census":
        # Per field row, as rotate_keys counts: each row holds two fields.
        resume, start = plan(["fields", "index"])
        values = 2 * rows.count()
        census = {"resume": resume, "start": start, "fields": 0, "index": 0}
        if "fields" in resume:
            census["fields"] = count_rows_on_old_keys(keys.live_key_ids("fields")[-1])
        if "index" in resume:
            census["index"] = stale_indexes()
        for purpose in start:
            census[purpose] = values
        return census
    if mode == "verify":
        current = keys.current_data_key("fields").key_id
        retired = DataKey.objects.filter(retired_at__isnull=False)
        removed, _ = retired.delete()
        keys.forget_keys()
        on_current = all(
            token_key_id(factories.token(row.phone))
            == current
            == token_key_id(factories.token(row.telegram))
            for row in rows.iterator(chunk_size=2000)
        )
        count, digest = factories.plaintext_digest()
        sample = rows.order_by("pk").first()
        assert sample is not None
        return {
            "count": count,
            "digest": digest,
            "all_on_current_key": on_current,
            "stale_indexes": stale_indexes(),
            "retired_keys_removed": removed,
            "sample_decrypts": decrypt(
                factories.token(sample.phone), context=ContactDetails.context(sample, "phone")
            )
            == factories.phone_of(sample.pk),
        }
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    result = main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    print(json.dumps(result), flush=True)
