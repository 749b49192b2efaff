"""The marketing app's periodic job (bungu.operations finds this module and runs it): it
starts scheduled campaigns and picks up any campaign whose worker died mid-way (its leases
run out, and the rows are claimed again)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bungu.periodic import Job

from .runner import send_due_campaigns

# The job shares the housekeeping run with the others; a long campaign goes on in the next.
BUDGET = timedelta(seconds=50)


def send_campaigns(*, now: datetime) -> str:
    return f"campaigns: {send_due_campaigns(budget=BUDGET, now=now)}"


JOBS = [Job("campaigns (P17, P21, P25)", send_campaigns, every=timedelta(minutes=10))]
