import io
import os
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from outpost.backup import archive

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def seal(data: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    writer = archive.SealedWriter(out, key)
    writer.write(data)
    writer.finish()
    return out.getvalue()


class ArchiveTests(SimpleTestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)

    def write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path

    def unseal(self, path: Path, key: bytes = KEY) -> bytes:
        out = io.BytesIO()
        archive.unseal(path, key, out)
        return out.getvalue()

    def test_sealed_data_round_trips_and_the_file_is_header_ciphertext_tag(self) -> None:
        data = os.urandom(3 * archive.CHUNK_SIZE + 17)
        sealed = seal(data)
        self.assertTrue(sealed.startswith(archive.MAGIC))
        self.assertEqual(len(sealed), archive.HEADER_SIZE + len(data) + archive.TAG_SIZE)
        self.assertEqual(self.unseal(self.write("a.backup", sealed)), data)

    def test_plaintext_never_appears_in_the_sealed_bytes(self) -> None:
        sealed = seal(b"client CANARY-BK-7c1e visited" * 1000)
        self.assertNotIn(b"CANARY-BK-7c1e", sealed)

    def test_two_backups_of_the_same_data_differ(self) -> None:
        self.assertNotEqual(seal(b"same"), seal(b"same"))

    def test_writer_streams_instead_of_buffering_the_whole_archive(self) -> None:
        out = io.BytesIO()
        writer = archive.SealedWriter(out, KEY)
        for _ in range(4):
            writer.write(bytes(archive.CHUNK_SIZE))
        self.assertEqual(len(out.getvalue()), archive.HEADER_SIZE + 4 * archive.CHUNK_SIZE)

    def test_wrong_key_is_refused_before_any_plaintext_is_written(self) -> None:
        path = self.write("a.backup", seal(b"secret" * 100))
        out = io.BytesIO()
        with self.assertRaisesMessage(archive.WrongKey, "different master key"):
            archive.unseal(path, OTHER_KEY, out)
        self.assertEqual(out.getvalue(), b"")

    def test_every_flipped_region_fails_authentication(self) -> None:
        sealed = seal(b"secret" * 1000)
        # Magic, nonce, key check, ciphertext and tag.
        for offset in (0, 12, 25, archive.HEADER_SIZE + 100, len(sealed) - 1):
            with self.subTest(offset=offset):
                damaged = bytearray(sealed)
                damaged[offset] ^= 0x01
                with self.assertRaises(archive.ArchiveError):
                    self.unseal(self.write("d.backup", bytes(damaged)))

    def test_a_flipped_ciphertext_byte_is_caught_by_the_tag(self) -> None:
        damaged = bytearray(seal(b"secret" * 1000))
        damaged[archive.HEADER_SIZE + 10] ^= 0x80
        with self.assertRaisesMessage(archive.DamagedArchive, "failed authentication"):
            self.unseal(self.write("d.backup", bytes(damaged)))

    def test_a_truncated_file_fails(self) -> None:
        sealed = seal(b"secret" * 1000)
        for length in (5, archive.HEADER_SIZE + archive.TAG_SIZE - 1, len(sealed) - 1):
            with self.subTest(length=length), self.assertRaises(archive.DamagedArchive):
                self.unseal(self.write("t.backup", sealed[:length]))

    def test_a_file_of_another_format_is_named_as_such(self) -> None:
        path = self.write("x.backup", b"SQLite format 3\x00" + bytes(100))
        with self.assertRaisesMessage(archive.DamagedArchive, "not an Outpost backup"):
            self.unseal(path)

    def test_sidecar_matches_its_file_in_sha256sum_format(self) -> None:
        path = self.write("a.backup", b"ciphertext")
        sidecar = archive.write_sidecar(path, archive.file_sha256(path))
        self.assertEqual(sidecar.read_text(), f"{archive.file_sha256(path)}  a.backup\n")
        self.assertEqual(sidecar.stat().st_mode & 0o777, 0o600)
        self.assertEqual(archive.verify_sidecar(path), archive.file_sha256(path))

    def test_a_changed_file_fails_its_sidecar(self) -> None:
        path = self.write("a.backup", b"ciphertext")
        archive.write_sidecar(path, archive.file_sha256(path))
        path.write_bytes(b"ciphertexu")
        with self.assertRaisesMessage(archive.ChecksumMismatch, "does not match its checksum"):
            archive.verify_sidecar(path)

    def test_a_missing_or_foreign_sidecar_is_refused(self) -> None:
        path = self.write("a.backup", b"ciphertext")
        with self.assertRaisesMessage(archive.ChecksumMismatch, "missing"):
            archive.verify_sidecar(path)
        archive.sidecar_path(path).write_text(f"{archive.file_sha256(path)}  b.backup\n")
        with self.assertRaisesMessage(archive.ChecksumMismatch, "not a checksum line"):
            archive.verify_sidecar(path)
