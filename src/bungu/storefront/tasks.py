"""Housekeeping as a background task that keeps itself scheduled (see housekeeping.py)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .housekeeping import interval, run_housekeeping


@task()
def housekeeping() -> str:
    """Run every job, then queue the next run, even when a job failed."""
    try:
        outcomes = run_housekeeping()
    finally:
        schedule_housekeeping(run_after=timezone.now() + interval())
    return "\n".join(str(outcome) for outcome in outcomes)


def next_housekeeping() -> DBTaskResult[[], str] | None:
    """The queued run, if the database backend holds one."""
    return (
        DBTaskResult.objects.filter(
            task_path=housekeeping.module_path, status=TaskResultStatus.READY
        )
        .order_by("run_after")
        .first()
    )


def schedule_housekeeping(*, run_after: datetime | None = None) -> bool:
    """Queue a run unless one is already waiting. False when nothing was queued: a run was
    waiting, or the task backend cannot hold a task for later (then cron must run
    ``bungu housekeeping``)."""
    backend = housekeeping.get_backend()
    if not backend.supports_defer:
        return False
    if isinstance(backend, DatabaseBackend) and next_housekeeping() is not None:
        return False
    housekeeping.using(run_after=run_after or timezone.now()).enqueue()
    return True
