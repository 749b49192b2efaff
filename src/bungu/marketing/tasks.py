"""Sending as a background job (Django Tasks API; `bungu db_worker` runs it). The periodic
job in ``jobs.py`` runs the same loop, so a campaign whose worker died goes on."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from .runner import send_due_campaigns


@task()
def send_campaigns() -> str:
    """Start the campaigns that are due and send every sending one to the end."""
    return str(send_due_campaigns())


def schedule_sending(*, run_after: datetime | None = None) -> bool:
    """Have the worker send now (or at ``run_after``). False when the task backend cannot
    hold a task for later: the periodic job starts the campaign then."""
    job = send_campaigns
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return False
        job = job.using(run_after=run_after)
    job.enqueue()
    return True
