import os
from unittest import mock

from django.conf import settings
from django.db import transaction
from django.test import TestCase

from outpost.vault import custody, keys
from outpost.vault.crypto import decrypt, encrypt
from outpost.vault.keys import (
    VaultLocked,
    WrongMasterKey,
    current_data_key,
    data_key,
    derived_key,
    forget_keys,
    is_locked,
    master_key,
    unwrap,
    wrap,
)
from outpost.vault.models import DataKey


def remove_master_key_file() -> None:
    """What `lock` in another process does, as seen from this one."""
    os.unlink(custody.master_key_path())


class Rollback(Exception):
    pass


class MasterKeyTests(TestCase):
    def test_master_key_is_the_32_bytes_of_the_key_file(self) -> None:
        self.assertEqual(master_key(), custody.master_key_path().read_bytes())
        self.assertEqual(len(master_key()), 32)

    def test_a_missing_key_file_means_locked(self) -> None:
        remove_master_key_file()
        self.assertIs(is_locked(), True)
        with self.assertRaises(VaultLocked):
            master_key()

    def test_a_file_removed_by_another_process_is_noticed_on_the_next_call(self) -> None:
        token = encrypt("+79990000001", context="c:1")
        remove_master_key_file()
        with self.assertRaises(VaultLocked):
            decrypt(token, context="c:1")
        with self.assertRaises(VaultLocked):
            encrypt("x", context="c:1")
        self.assertIsNone(keys._cache.kek)
        self.assertEqual(keys._cache.secrets, {})

    def test_a_replaced_key_file_drops_every_cached_key(self) -> None:
        token = encrypt("+79990000001", context="c:1")
        custody.replace_file(custody.master_key_path(), os.urandom(32))
        with self.assertRaises(WrongMasterKey):
            decrypt(token, context="c:1")

    def test_a_damaged_key_file_is_treated_as_locked(self) -> None:
        custody.replace_file(custody.master_key_path(), b"short")
        with self.assertRaisesMessage(VaultLocked, "damaged"):
            master_key()

    def test_forgetting_zeroes_the_cached_key_bytes(self) -> None:
        master_key()
        cached = keys._cache.kek
        assert cached is not None
        forget_keys()
        self.assertEqual(bytes(cached), bytes(32))


class DerivedKeyTests(TestCase):
    def test_derived_keys_differ_by_purpose_and_from_the_master_key(self) -> None:
        backup, other = derived_key("backup"), derived_key("other")
        self.assertEqual(len(backup), 32)
        self.assertNotEqual(backup, other)
        self.assertNotEqual(backup, master_key())
        self.assertEqual(backup, derived_key("backup"))

    def test_no_derived_key_while_locked(self) -> None:
        remove_master_key_file()
        with self.assertRaises(VaultLocked):
            derived_key("backup")


class DataKeyTests(TestCase):
    def test_data_keys_are_stored_only_wrapped_under_the_master_key(self) -> None:
        key = current_data_key("fields")
        row = DataKey.objects.get(pk=key.key_id)
        self.assertNotIn(key.secret, bytes(row.wrapped))
        self.assertEqual(
            unwrap(master_key(), row.wrapped, purpose="fields", key_id=row.pk), key.secret
        )

    def test_first_use_makes_one_key_per_purpose(self) -> None:
        fields, index = current_data_key("fields"), current_data_key("index")
        self.assertEqual(current_data_key("fields"), fields)
        self.assertNotEqual(fields.secret, index.secret)
        self.assertNotEqual(fields.secret, master_key())
        self.assertEqual(DataKey.objects.count(), 2)

    def test_a_wrapped_key_moved_to_another_id_or_purpose_does_not_open(self) -> None:
        fields, index = current_data_key("fields"), current_data_key("index")
        wrapped = DataKey.objects.get(pk=fields.key_id).wrapped
        with self.assertRaises(WrongMasterKey):
            unwrap(master_key(), wrapped, purpose="index", key_id=fields.key_id)
        with self.assertRaises(WrongMasterKey):
            unwrap(master_key(), wrapped, purpose="fields", key_id=index.key_id)

    def test_a_retired_key_still_decrypts(self) -> None:
        token = encrypt("old", context="c:1")
        DataKey.objects.update(retired_at="2026-01-01T00:00Z")
        forget_keys()
        self.assertEqual(decrypt(token, context="c:1"), "old")

    def test_the_secret_never_shows_in_repr(self) -> None:
        key = current_data_key("fields")
        self.assertNotIn(key.secret.hex(), repr(key))
        self.assertNotIn(repr(key.secret), repr(key))

    def test_a_key_made_in_a_rolled_back_transaction_is_never_used(self) -> None:
        try:
            with transaction.atomic():
                current_data_key("fields")
                raise Rollback
        except Rollback:
            pass
        token = encrypt("kept", context="c:1")
        forget_keys()  # as a restarted process would see it
        self.assertEqual(decrypt(token, context="c:1"), "kept")

    def test_a_key_made_by_another_process_is_used_once_the_cache_expires(self) -> None:
        first = current_data_key("fields")
        row = DataKey.objects.create(purpose="fields", wrapped=b"")
        secret = os.urandom(32)
        row.wrapped = wrap(master_key(), secret, purpose="fields", key_id=row.pk)
        row.save()
        self.assertEqual(current_data_key("fields"), first)
        with mock.patch.object(keys, "CURRENT_KEY_TTL", 0.0):
            self.assertEqual(current_data_key("fields").key_id, row.pk)
        self.assertEqual(data_key(row.pk), secret)

    def test_key_dir_comes_from_settings(self) -> None:
        self.assertEqual(custody.master_key_path().parent, settings.KEY_DIR)
