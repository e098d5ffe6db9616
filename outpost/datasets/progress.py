"""Progress lines while a dataset is generated, at most one every few seconds."""

import time
from collections.abc import Callable

INTERVAL_SECONDS = 10.0


def duration(seconds: float) -> str:
    """``2m10s`` style, or ``4.2s`` under a minute."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{rest:02d}s"


class Progress:
    """Say how far a long step is, and how long the whole run has taken."""

    def __init__(
        self,
        say: Callable[[str], None],
        *,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say = say
        self._interval = interval
        self._clock = clock
        self.started = clock()
        self._last = self.started

    def elapsed(self) -> float:
        return self._clock() - self.started

    def say(self, text: str) -> None:
        self._last = self._clock()
        self._say(f"{text} [{duration(self.elapsed())}]")

    def step(self, label: str, done: int, total: int, *, force: bool = False) -> None:
        """Report ``done`` of ``total`` if the last line is old enough."""
        if not force and self._clock() - self._last < self._interval:
            return
        share = 100 * done // total if total else 100
        self._last = self._clock()
        self._say(f"{label} {done:,} / {total:,} ({share}%) {duration(self.elapsed())}")
