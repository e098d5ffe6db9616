import os

from django.test import SimpleTestCase

from outpost.vault import custody


class SealedCopyTests(SimpleTestCase):
    def test_a_sealed_copy_round_trips(self) -> None:
        key = os.urandom(32)
        self.assertEqual(custody.unseal(custody.seal(key)), key)

    def test_a_copy_typed_in_from_paper_may_differ_in_case_and_spacing(self) -> None:
        key = os.urandom(32)
        text = custody.seal(key).upper().replace(" ", "  ")
        self.assertEqual(custody.unseal(text), key)

    def test_a_truncated_copy_is_refused(self) -> None:
        text = custody.seal(os.urandom(32))
        with self.assertRaisesMessage(custody.SealedKeyInvalid, "64 hex digits"):
            custody.unseal(text[:-10])

    def test_something_else_is_refused(self) -> None:
        with self.assertRaisesMessage(custody.SealedKeyInvalid, "not a sealed master key"):
            custody.unseal("hello")

    def test_the_fingerprint_does_not_contain_the_key(self) -> None:
        key = bytes(range(32))
        self.assertNotIn(custody.fingerprint(key).replace("-", ""), key.hex())


class KeyFileTests(SimpleTestCase):
    def test_new_files_never_replace_existing_ones(self) -> None:
        path = custody.key_dir() / "new.key"
        custody.write_new_file(path, b"first")
        with self.assertRaises(FileExistsError):
            custody.write_new_file(path, b"second")
        self.assertEqual(path.read_bytes(), b"first")
        self.assertEqual(sorted(p.name for p in path.parent.iterdir()), ["master.key", "new.key"])

    def test_shredding_a_missing_file_reports_it(self) -> None:
        self.assertIs(custody.shred(custody.key_dir() / "nothing"), False)
