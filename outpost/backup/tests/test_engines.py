import sqlite3
import tempfile
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from django.test import SimpleTestCase

from outpost.backup.engines import EngineError, Fingerprint, SqliteEngine, engine_for

SQLITE = "django.db.backends.sqlite3"


class SqliteFingerprintTests(SimpleTestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)

    def fingerprint(self, name: str, rows: Sequence[tuple[object, ...]]) -> Fingerprint:
        path = self.dir / name
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
            db.execute("CREATE TABLE loose (v)")
            db.executemany("INSERT INTO t (id, v) VALUES (?, ?)", rows)
            db.executemany("INSERT INTO loose (v) VALUES (?)", [(v,) for _, v in rows])
            db.commit()
        return SqliteEngine({"ENGINE": SQLITE, "NAME": str(path)}).fingerprint(str(path))

    def test_the_hash_follows_the_primary_key_not_the_insertion_order(self) -> None:
        rows = [(1, "a"), (2, None), (3, 1.5)]
        forward = self.fingerprint("a.sqlite3", rows)
        backward = self.fingerprint("b.sqlite3", rows[::-1])
        self.assertEqual(forward["t"], backward["t"])
        self.assertEqual(forward["t"].rows, 3)

    def test_any_changed_value_changes_the_hash(self) -> None:
        base = self.fingerprint("a.sqlite3", [(1, "a"), (2, "b")])["t"]
        for rows in ([(1, "a"), (2, "c")], [(1, "a"), (3, "b")], [(1, "a")], [(1, "a"), (2, 2)]):
            with self.subTest(rows=rows):
                self.assertNotEqual(self.fingerprint(f"{rows}.sqlite3", rows)["t"], base)

    def test_text_and_a_blob_of_the_same_bytes_hash_apart(self) -> None:
        text = self.fingerprint("a.sqlite3", [(1, "ab")])["t"]
        blob = self.fingerprint("b.sqlite3", [(1, b"ab")])["t"]
        self.assertNotEqual(text.sha256, blob.sha256)

    def test_a_table_without_a_primary_key_is_fingerprinted_too(self) -> None:
        result = self.fingerprint("a.sqlite3", [(1, "a"), (2, "b")])
        self.assertEqual(result["loose"].rows, 2)


class EngineChoiceTests(SimpleTestCase):
    def test_an_in_memory_sqlite_database_cannot_be_backed_up(self) -> None:
        for name in (":memory:", "file:memorydb_default?mode=memory&cache=shared"):
            with self.subTest(name=name), self.assertRaisesMessage(EngineError, "in-memory"):
                engine_for({"ENGINE": SQLITE, "NAME": name})

    def test_other_database_engines_are_refused(self) -> None:
        with self.assertRaisesMessage(EngineError, "not django.db.backends.mysql"):
            engine_for({"ENGINE": "django.db.backends.mysql", "NAME": "x"})

    def test_a_postgresql_restore_refuses_names_it_must_never_create_or_drop(self) -> None:
        engine = engine_for({"ENGINE": "django.db.backends.postgresql", "NAME": "outpost"})
        for name in ("outpost", "postgres", "template1", "bad-name", "x" * 64):
            with self.subTest(name=name), self.assertRaises(EngineError):
                engine.create(name)
