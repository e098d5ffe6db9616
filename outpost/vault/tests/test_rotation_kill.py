"""T12: rotation survives kill -9 at a random point: no row lost or done twice.

The rotation runs as ``manage.py rotate_keys`` would, in a separate process
against a file-based database (a SQLite file, or the PostgreSQL test
database when DATABASE_URL selects PostgreSQL), and is killed with SIGKILL
after a random number of committed batches.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase

ROWS = 10_000
BATCH = 500
ROOT = Path(settings.BASE_DIR)


class RotationKillTests(TransactionTestCase):
    def setUp(self) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "rotation-kill-test",
            "KEY_DIR": str(settings.KEY_DIR),
            "PYTHONUNBUFFERED": "1",
        }
        if connection.vendor == "postgresql":
            db = connection.settings_dict
            # The test database, which this TransactionTestCase flushes after.
            self.env["DATABASE_URL"] = (
                f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}"
                f":{db['PORT'] or 5432}/{db['NAME']}"
            )
        else:
            self.env["DATABASE_URL"] = ""
            self.env["SQLITE_PATH"] = str(Path(settings.KEY_DIR).parent / "rotation.sqlite3")

    def worker(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "outpost.vault.tests.rotation_worker", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run_worker(self, *args: str) -> tuple[dict[str, object], str]:
        process = self.worker(*args)
        out, err = process.communicate(timeout=300)
        self.assertEqual(process.returncode, 0, err)
        lines = out.strip().splitlines()
        return json.loads(lines[-1]), "\n".join(lines[:-1])

    def test_a_rotation_killed_mid_way_is_finished_by_the_next_run(self) -> None:
        seed = random.randrange(2**32)  # noqa: S311 - picks a kill point, not a secret
        rng = random.Random(seed)  # noqa: S311
        seeded, _ = self.run_worker("seed", str(ROWS))
        self.assertEqual(seeded["count"], ROWS)

        # Kill after a random number of progress lines, each printed after
        # a batch committed: 2 fields x 20 batches, then 2 indexes x 20.
        kill_after = rng.randint(1, 4 * ROWS // BATCH)
        rotating = self.worker("rotate", str(BATCH))
        assert rotating.stdout is not None
        seen = 0
        while seen < kill_after and rotating.stdout.readline():
            seen += 1
        time.sleep(rng.uniform(0, 0.05))  # land anywhere inside the next batch
        rotating.send_signal(signal.SIGKILL)
        rotating.wait(timeout=30)
        self.assertEqual(rotating.returncode, -signal.SIGKILL, f"seed {seed}: it finished")

        census, _ = self.run_worker("census")
        started = time.monotonic()
        _, output = self.run_worker("rotate", str(BATCH))
        second_run = time.monotonic() - started

        # The second run touches exactly the rows the first left undone.
        summary = f"re-encrypted {census['fields']} rows, recomputed {census['index']} indexes"
        self.assertIn(summary, output, f"seed {seed}, killed after {seen} batches")
        verified, _ = self.run_worker("verify")
        self.assertEqual(
            verified,
            {
                "count": ROWS,
                "digest": seeded["digest"],
                "all_on_current_key": True,
                "stale_indexes": 0,
                "retired_keys_removed": verified["retired_keys_removed"],
                "sample_decrypts": True,
            },
        )
        self.assertGreaterEqual(int(str(verified["retired_keys_removed"])), 1)

        started = time.monotonic()
        _, full = self.run_worker("rotate", str(BATCH))
        whole = time.monotonic() - started
        print(
            f"\nT12 ({connection.vendor}, seed {seed}): killed after {seen} batches; "
            f"second run {second_run:.1f} s ({census}).\n"
            f"Uninterrupted rotation of {ROWS} rows (2 fields, 2 indexes), "
            f"{whole:.1f} s with process start: {full.splitlines()[-1]}"
        )
