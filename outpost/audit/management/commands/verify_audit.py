import re
import time
from argparse import ArgumentParser, ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from outpost.audit.verify import Anchor, verify_chain
from outpost.core.audit_guard import guard_installed

ANCHOR = re.compile(r"^(?P<seq>[1-9][0-9]*):(?P<hash>[0-9a-f]{64})$")


def _anchor(raw: str) -> Anchor:
    match = ANCHOR.match(raw)
    if match is None:
        raise ArgumentTypeError("expected SEQ:HASH, for example 1200:<64 hex digits>")
    return Anchor(seq=int(match["seq"]), hash=match["hash"])


class Command(BaseCommand):
    help = (
        "Check the audit trail: recompute every entry's hash in order, compare the end with "
        "the chain head and check the database still refuses changes. Prints the last entry's "
        "number and hash; keep them somewhere else and pass them back as --anchor later. "
        "Exits non-zero on the first problem. Read-only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--anchor",
            type=_anchor,
            help="SEQ:HASH from an earlier run; the chain must still carry that hash there.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default)."
        )

    def handle(self, *args: object, **options: object) -> None:
        anchor, using = options["anchor"], options["database"]
        if not (anchor is None or isinstance(anchor, Anchor)) or not isinstance(using, str):
            raise CommandError("Bad options.")
        started = time.perf_counter()
        report = verify_chain(anchor=anchor, using=using)
        elapsed = time.perf_counter() - started
        rate = report.checked / elapsed if elapsed else 0.0
        self.stdout.write(
            f"Checked {report.checked} entries in {elapsed:.2f} s ({rate:,.0f} entries/s)."
        )
        if not report.ok:
            raise CommandError(report.problem)
        if not guard_installed(connections[using]):
            raise CommandError(
                "The audit table accepts UPDATE and DELETE: its triggers are missing or "
                "disabled. Run `manage.py migrate` to reinstall them."
            )
        self.stdout.write(f"Chain head: {report.last_seq}:{report.last_hash}")
        self.stdout.write(self.style.SUCCESS("The audit trail is intact."))
