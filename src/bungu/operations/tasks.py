"""The periodic jobs as a background task that keeps itself scheduled (services.py).

The worker (``bungu worker``, started by ``make run``) runs the task on either engine; it runs
the jobs that are due and queues itself again for when the next one falls due, so the jobs
keep going without cron.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from .registry import housekeeping_interval
from .services import next_run_at, run_jobs
from .task_engine import next_waiting_run

# However soon the next job falls due, the task does not come back sooner than this.
SHORTEST_PAUSE = timedelta(minutes=1)


@task()
def housekeeping() -> str:
    """Run the jobs that are due, then queue the next run, even when a job failed."""
    try:
        outcomes = run_jobs(only_due=True)
    finally:
        now = timezone.now()
        try:
            run_after = max(next_run_at(now=now), now + SHORTEST_PAUSE)
        except Exception:  # the schedule must survive whatever broke the run
            run_after = now + housekeeping_interval()
        schedule_housekeeping(run_after=run_after)
    return "\n".join(str(outcome) for outcome in outcomes) or "no job was due"


def next_housekeeping() -> datetime | None:
    """When the queued run is due, if the task engine holds one."""
    return next_waiting_run(housekeeping)


def schedule_housekeeping(*, run_after: datetime | None = None) -> bool:
    """Queue a run unless one is already waiting. False when nothing was queued: a run was
    waiting, or the task backend cannot hold a task for later (then cron must run
    ``bungu housekeeping --due``). Two nodes queueing at once may make two chains of runs;
    the next run of either finds the other waiting and ends its own, and the claim of each
    due job (services.py) keeps any job from running twice meanwhile."""
    backend = housekeeping.get_backend()
    if not backend.supports_defer:
        return False
    if next_housekeeping() is not None:
        return False
    housekeeping.using(run_after=run_after or timezone.now()).enqueue()
    return True
