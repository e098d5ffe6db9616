"""The whole benchmark suite, at the tiny scale, so that it cannot rot.

Only answers are checked, never timings: every peer must agree with
Outpost and every check of every benchmark must hold.
"""

import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import TransactionTestCase

from bench.run import BENCHES, run_suite


class BenchSmokeTests(TransactionTestCase):
    def test_every_benchmark_runs_and_agrees_with_its_peers_at_scale_t(self) -> None:
        call_command(
            "generate_dataset",
            "--tiny",
            "--seed",
            "1",
            "--end",
            "2026-02-28",
            stdout=io.StringIO(),
        )
        with tempfile.TemporaryDirectory(prefix="outpost-bench-") as tmp:
            cases, _ = run_suite(
                scale="T", only=list(BENCHES), repeat=1, long=False, workdir=Path(tmp)
            )
        failures = [failure for case in cases for failure in case.failed]
        self.assertEqual(failures, [])
        self.assertEqual({case.bench for case in cases}, set(BENCHES))
