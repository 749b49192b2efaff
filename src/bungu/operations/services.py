"""Running the periodic jobs: each when it is due, or all of them now.

One job's failure is logged and reported, and the others still run: a broken mail server
must not keep expired data in the shop. Each job's last run is recorded (``JobRun``); a job
is due once its interval has passed since it last started. Claiming a due job is one
conditional UPDATE, so two workers (or the worker and cron) never run the same job twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from bungu.periodic import Job

from .models import JobRun
from .registry import declared_jobs, interval_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    job: str
    done: str
    failed: bool = False

    def __str__(self) -> str:
        return f"{self.job}: {'FAILED: ' if self.failed else ''}{self.done}"


def _claim(job: Job, *, now: datetime, only_due: bool) -> bool:
    """Mark the job as started now; False when it is not due (and only due jobs run)."""
    runs = JobRun.objects.filter(job=job.name)
    if only_due:
        runs = runs.filter(Q(started_at__isnull=True) | Q(started_at__lte=now - interval_of(job)))
    return bool(runs.update(started_at=now, finished_at=None))


def _run(job: Job, *, now: datetime) -> Outcome:
    try:
        outcome = Outcome(job.name, job.run(now=now))
    except Exception as error:  # reported, and the next job still runs
        logger.exception("Periodic job %r failed", job.name)
        outcome = Outcome(job.name, f"{type(error).__name__}: {error}", failed=True)
    JobRun.objects.filter(job=job.name).update(finished_at=timezone.now(), failed=outcome.failed)
    return outcome


def run_jobs(*, now: datetime | None = None, only_due: bool = False) -> list[Outcome]:
    """Run every declared job, or (``only_due``) those whose interval has passed since they
    last started, in the order the apps declare them. Returns what each one that ran did."""
    now = now or timezone.now()
    jobs = declared_jobs()
    JobRun.objects.bulk_create([JobRun(job=job.name) for job in jobs], ignore_conflicts=True)
    return [_run(job, now=now) for job in jobs if _claim(job, now=now, only_due=only_due)]


def next_run_at(*, now: datetime | None = None) -> datetime:
    """When the next job falls due (now if one is due already, or never ran)."""
    now = now or timezone.now()
    started: dict[str, datetime | None] = dict(JobRun.objects.values_list("job", "started_at"))
    due = []
    for job in declared_jobs():
        last = started.get(job.name)
        due.append(now if last is None else last + interval_of(job))
    return max(now, min(due, default=now))


def list_job_runs() -> list[tuple[Job, JobRun | None]]:
    """Every declared job with its last run, if any (for ``bungu housekeeping --list``)."""
    runs = {run.job: run for run in JobRun.objects.all()}
    return [(job, runs.get(job.name)) for job in declared_jobs()]
