"""The days a dataset spans, precomputed once for the hot loops.

Contacts are written as text the database parses, so every date and time
string is built here once rather than once per row. Times are stored in
UTC: a site's working hours start late enough that a local time and its
UTC time fall on the same date.
"""

import datetime
import zoneinfo
from bisect import bisect_right
from itertools import accumulate
from random import Random

from outpost.datasets import plan

SECONDS_A_DAY = 24 * 60 * 60


class Days:
    """Day ``0`` is the first day of the span and ``count - 1`` its end."""

    def __init__(self, *, end: datetime.date, count: int) -> None:
        self.count = count
        self.start = end - datetime.timedelta(days=count - 1)
        self.dates = [self.start + datetime.timedelta(days=index) for index in range(count)]
        self.text = [day.isoformat() for day in self.dates]
        zone = zoneinfo.ZoneInfo(plan.TIME_ZONE)
        # Whole hours east of UTC at noon, which the working day shares.
        self.offset_seconds = [
            int(_noon(day, zone).utcoffset().total_seconds())  # type: ignore[union-attr]  # zoneinfo always gives an offset
            for day in self.dates
        ]
        self.clock = [_clock(second) for second in range(SECONDS_A_DAY)]
        self.month_end = self._month_ends()
        self.month_start = self._month_starts()
        weights = [plan.day_weight(day) for day in self.dates]
        self.cumulative = [0.0, *accumulate(weights)]

    def moment(self, day: int, local_second: int) -> str:
        """The UTC timestamp of a local time of day, as the database reads it."""
        return f"{self.text[day]} {self.clock[local_second - self.offset_seconds[day]]}"

    def draw(self, rng: Random, first: int, last: int) -> int:
        """A day between ``first`` and ``last`` inclusive, busy days more likely."""
        low, high = self.cumulative[first], self.cumulative[last + 1]
        return min(bisect_right(self.cumulative, low + rng.random() * (high - low)) - 1, last)

    def is_month_end(self, day: int) -> bool:
        return day == self.count - 1 or self.dates[day + 1].day == 1

    def _month_ends(self) -> list[int]:
        ends = [0] * self.count
        last = self.count - 1
        for day in range(self.count - 1, -1, -1):
            if self.is_month_end(day):
                last = day
            ends[day] = last
        return ends

    def _month_starts(self) -> list[int]:
        starts = [0] * self.count
        first = 0
        for day in range(self.count):
            if self.dates[day].day == 1:
                first = day
            starts[day] = first
        return starts


def _noon(day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)


def _clock(second: int) -> str:
    hours, rest = divmod(second, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
