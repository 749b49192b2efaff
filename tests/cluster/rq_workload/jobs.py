"""A periodic job declared as any app declares one; it records each run.

With ``RQ_TEST_UNCLAIMED=1`` in a worker's environment (the positive control only), the
runner's claim of a due job is switched off in that worker, so two runners can both run it.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from bungu.operations import services
from bungu.periodic import Job

from .effects import record

NAME = "cluster: every minute"


def count_run(*, now: datetime) -> str:
    record("periodic", NAME)
    return "recorded"


if os.environ.get("RQ_TEST_UNCLAIMED") == "1":

    def _no_claim(job: Job, *, now: datetime, only_due: bool) -> bool:
        return True

    services._claim = _no_claim  # the positive control's planted fault


JOBS = [Job(NAME, count_run, every=timedelta(minutes=1))]
