"""How an app declares a periodic job: one line in its ``jobs.py``.

    # bungu/mail/jobs.py
    JOBS = [Job("stuck mail", retry_stuck_mail)]
    # a job due more often than the others says so:
    JOBS = [Job("payment reconciliation", reconcile_payments, every=timedelta(minutes=10))]

``bungu.operations`` finds every installed app's ``jobs.py`` (the way the admin finds
``admin.py``) and runs each job when it is due. This module sits below every app and imports
none (an import-linter contract), so any app may declare jobs without knowing who runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

DECLARATIONS_MODULE = "jobs"
MAX_NAME_LENGTH = 100


class JobFunction(Protocol):
    """A job: does its work as of ``now`` and says in a few words what it did (for the
    report); raises when it failed."""

    def __call__(self, *, now: datetime) -> str: ...


@dataclass(frozen=True)
class Job:
    """One periodic job. ``every``: how often it is due; None for the shop's housekeeping
    interval (``BUNGU_HOUSEKEEPING_MINUTES``)."""

    name: str
    run: JobFunction
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise ValueError(f"A job needs a name of 1 to {MAX_NAME_LENGTH} characters.")
        if self.every is not None and self.every < timedelta(minutes=1):
            raise ValueError(f"{self.name}: a job is due at most once a minute.")
