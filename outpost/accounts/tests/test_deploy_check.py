"""``manage.py check --deploy`` passes with production settings (T8)."""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase


class DeployCheckTests(SimpleTestCase):
    def test_check_deploy_finds_nothing_with_production_settings(self) -> None:
        """No warning at all, with the environment a production server sets."""
        with tempfile.TemporaryDirectory() as scratch:
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": scratch,
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(45)[:60],
                "SECURE_SSL_REDIRECT": "true",
                "SECURE_HSTS_SECONDS": "31536000",
                # Without preload Django warns (security.W021); a server on
                # its own domain should ask browsers to preload HSTS.
                "SECURE_HSTS_PRELOAD": "true",
                "ALLOWED_HOSTS": "outpost.example.org",
                "SECURE_COOKIES": "true",
                "SQLITE_PATH": str(Path(scratch) / "check.sqlite3"),
                "KEY_DIR": str(Path(scratch) / "keys"),
            }
            self.assertEqual(len(env["SECRET_KEY"]), 60)
            result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
                [
                    sys.executable,
                    "manage.py",
                    "check",
                    "--deploy",
                    "--fail-level",
                    "WARNING",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)
        self.assertNotIn("WARNINGS", result.stdout + result.stderr)
