"""A planted app's job declarations, as any app writes them (tests/operations)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bungu.periodic import Job

RAN: list[tuple[str, datetime]] = []


def count_something(*, now: datetime) -> str:
    RAN.append(("often", now))
    return "counted"


def break_down(*, now: datetime) -> str:
    RAN.append(("broken", now))
    raise ConnectionError("payment processor unreachable")


JOBS = [
    Job("planted: every ten minutes", count_something, every=timedelta(minutes=10)),
    Job("planted: broken", break_down),
]
