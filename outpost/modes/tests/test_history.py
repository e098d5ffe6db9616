"""Which modes a site was in over a period, for the continuity page."""

import datetime
import zoneinfo

import time_machine

from outpost.core.tests.base import BaseTestCase
from outpost.modes.actions import change_mode
from outpost.modes.history import modes_during
from outpost.modes.models import Mode

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def at(date: str, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromisoformat(date), datetime.time(hour), tzinfo=KYIV
    )


class ModesDuringTests(BaseTestCase):
    def change(self, moment: datetime.datetime, mode: str) -> None:
        with time_machine.travel(moment, tick=False):
            change_mode(site=self.site, manager=self.manager, mode=mode, reason=mode)

    def spans(self, first: str, last: str) -> list[tuple[str, str, str]]:
        found = modes_during(
            self.site, datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
        )
        return [(span.mode.value, span.first.isoformat(), span.last.isoformat()) for span in found]

    def test_a_site_never_changed_was_normal_all_period(self) -> None:
        self.assertEqual(
            self.spans("2026-03-01", "2026-03-31"), [("normal", "2026-03-01", "2026-03-31")]
        )

    def test_changes_in_the_period_split_it_on_their_days(self) -> None:
        self.change(at("2026-03-10", 9), Mode.RESTRICTED)
        self.change(at("2026-03-20", 18), Mode.REMOTE)
        self.change(at("2026-04-02", 9), Mode.NORMAL)
        self.assertEqual(
            self.spans("2026-03-01", "2026-03-31"),
            [
                ("normal", "2026-03-01", "2026-03-10"),
                ("restricted", "2026-03-10", "2026-03-20"),
                ("remote", "2026-03-20", "2026-03-31"),
            ],
        )

    def test_a_change_before_the_period_sets_its_first_mode(self) -> None:
        self.change(at("2026-02-20", 9), Mode.RESTRICTED)
        # Late in the evening, local time: still 31 March at the site.
        self.change(at("2026-03-31", 23), Mode.CLOSED)
        self.assertEqual(
            self.spans("2026-03-01", "2026-03-31"),
            [("restricted", "2026-03-01", "2026-03-31"), ("closed", "2026-03-31", "2026-03-31")],
        )
