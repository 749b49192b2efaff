"""The privacy app's periodic jobs (bungu.operations finds this module and runs them).

Deleted accounts are erased when their grace period ends (P22) and nothing is kept longer than
the data map declares (P5). Customers hear of a new notice (P24) through the marketing app's
job, which sends the reminders as a campaign.
"""

from __future__ import annotations

from datetime import datetime

from bungu.periodic import Job
from bungu.privacy.rights.deletion import run_due_deletions
from bungu.privacy.rights.retention import enforce_retention


def erase_due_accounts(*, now: datetime) -> str:
    return f"{run_due_deletions(now=now)} account(s) erased"


def expire_by_data_map(*, now: datetime) -> str:
    done = [item for item in enforce_retention(now=now) if item.count]
    return "; ".join(str(item) for item in done) or "nothing past its retention"


JOBS = [
    Job("account deletions (P22)", erase_due_accounts),
    Job("retention (P5)", expire_by_data_map),
]
