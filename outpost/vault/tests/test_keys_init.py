import io
import os
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings

from outpost.vault import custody
from outpost.vault.keys import current_data_key


class KeysInitTests(TestCase):
    def setUp(self) -> None:
        self.key_dir = Path(custody.key_dir()).parent / "fresh" / "keys"
        self.enterContext(override_settings(KEY_DIR=self.key_dir))

    def test_creates_a_private_key_dir_and_key_file(self) -> None:
        out = io.StringIO()
        call_command("keys_init", stdout=out)
        key = custody.master_key_path()
        self.assertEqual(os.stat(self.key_dir).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        self.assertEqual(len(key.read_bytes()), 32)
        self.assertIn(custody.fingerprint(key.read_bytes()), out.getvalue())
        self.assertIn("No sealed copy", out.getvalue())

    def test_writes_a_sealed_copy_that_opens_the_same_key(self) -> None:
        sealed = self.key_dir.parent / "usb" / "sealed.txt"
        sealed.parent.mkdir(parents=True)
        out = io.StringIO()
        call_command("keys_init", "--sealed-out", str(sealed), stdout=out)
        self.assertEqual(
            custody.unseal(sealed.read_text()), custody.master_key_path().read_bytes()
        )
        self.assertEqual(os.stat(sealed).st_mode & 0o777, 0o600)
        self.assertIn("Move it off this server", out.getvalue())

    def test_refuses_to_overwrite_a_key(self) -> None:
        call_command("keys_init", stdout=io.StringIO())
        key = custody.master_key_path().read_bytes()
        with self.assertRaisesMessage(CommandError, "refusing to overwrite"):
            call_command("keys_init")
        self.assertEqual(custody.master_key_path().read_bytes(), key)

    def test_if_missing_leaves_an_existing_key_alone(self) -> None:
        call_command("keys_init", stdout=io.StringIO())
        key = custody.master_key_path().read_bytes()
        out = io.StringIO()
        call_command("keys_init", "--if-missing", stdout=out)
        self.assertIn("already installed", out.getvalue())
        self.assertEqual(custody.master_key_path().read_bytes(), key)

    def test_refuses_a_new_key_for_a_locked_database(self) -> None:
        call_command("keys_init", stdout=io.StringIO())
        current_data_key("fields")
        custody.master_key_path().unlink()  # locked
        with self.assertRaisesMessage(CommandError, "unlock --sealed"):
            call_command("keys_init", "--if-missing")
        self.assertFalse(custody.master_key_path().exists())
