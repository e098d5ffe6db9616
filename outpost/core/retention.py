"""Retention limits: each app registers what it purges, one command runs them.

A job takes today's date and returns how many records it removed. Apps
register jobs in ``AppConfig.ready`` so the scheduled command needs no
knowledge of them.
"""

import datetime
from collections.abc import Callable

PurgeJob = Callable[[datetime.date], int]

_jobs: dict[str, PurgeJob] = {}


def register(name: str, job: PurgeJob) -> None:
    _jobs[name] = job


def jobs() -> dict[str, PurgeJob]:
    return dict(_jobs)
