"""The engine under the Django Tasks API, whichever it is: the shop's database (one machine,
django-tasks-db) or RQ on Redis (several machines, django-tasks-rq; ``BUNGU_TASKS_URL``).

The shop's tasks never know which: they are ``@task`` functions enqueued through the API.
What differs lives here: RQ's retries (``RetryingQueue``), whether the engine answers
(``tasks_engine_ready``, for ``/readyz``), and whether a run of a task already waits in it
(``next_waiting_run``, so the periodic housekeeping keeps one chain of runs on any engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.utils import timezone
from django_rq.queues import DjangoRQ, get_queue
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import RQBackend
from rq.job import Job as RQJob, Retry
from rq.queue import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

# /readyz must answer quickly even when Redis is unreachable behind a silent firewall.
READY_TIMEOUT_SECONDS = 2.0


class RetryingQueue(DjangoRQ):
    """RQ's queue with the shop's retry policy on every job it creates (django-tasks-rq passes
    none): a task that raises, or whose worker died under it (RQ's clean-up of the started-job
    registry finds it once its heartbeat lapses), runs again after each pause of
    ``TASK_RETRY_SECONDS`` in turn, then stays failed and visible (RQ's failed-job registry;
    ``get_result`` says FAILED with the error)."""

    def create_job(self, *args: Any, **kwargs: Any) -> RQJob:
        pauses = list(settings.TASK_RETRY_SECONDS)
        if kwargs.get("retry") is None and pauses:
            kwargs["retry"] = Retry(max=len(pauses), interval=pauses)
        return super().create_job(*args, **kwargs)


def _backend() -> BaseTaskBackend:
    return task_backends[DEFAULT_TASK_BACKEND_ALIAS]


def _redis_address(url: str) -> str:
    """host:port/db of a Redis URL, without its password (it goes into logs and /readyz)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


def _rq_url(name: str) -> str:
    return str(settings.RQ_QUEUES[name]["URL"])


def rq_queue(name: str) -> Queue:
    """The RQ queue ``name`` on a connection with short timeouts (this module's questions)."""
    return get_queue(
        name,
        connection=redis.Redis.from_url(
            _rq_url(name),
            socket_connect_timeout=READY_TIMEOUT_SECONDS,
            socket_timeout=READY_TIMEOUT_SECONDS,
        ),
    )


def tasks_engine_ready() -> tuple[bool, str]:
    """Whether the task engine answers, and in a few words what was seen (queue depth) or why
    not. Never raises: a down engine is an answer."""
    backend = _backend()
    if isinstance(backend, RQBackend):
        waiting = 0
        for name in sorted(backend.queues):
            where = _redis_address(_rq_url(name))
            queue = rq_queue(name)
            try:
                waiting += queue.count
            except redis.RedisError as error:
                return False, f"RQ: Redis at {where} does not answer ({type(error).__name__})"
            finally:
                queue.connection.close()
        return True, f"RQ on Redis: {waiting} task(s) waiting"
    if isinstance(backend, DatabaseBackend):
        try:
            waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()
        except DatabaseError as error:
            return False, f"database task queue unreadable ({type(error).__name__})"
        return True, f"database task queue: {waiting} task(s) waiting"
    # The immediate and dummy backends (tests) run or drop tasks in the process itself.
    return True, f"{type(backend).__name__}: no separate engine"


def _rq_waiting_run(task: Task[Any, Any], queue: Queue) -> datetime | None:
    scheduled = ScheduledJobRegistry(queue=queue, job_class=queue.job_class)  # type: ignore[no-untyped-call]
    ids = scheduled.get_job_ids(cleanup=False)
    times = []
    for job in RQJob.fetch_many(ids, connection=queue.connection):
        if job is not None and job.func_name == task.module_path:
            times.append(scheduled.get_scheduled_time(job))
    for job in RQJob.fetch_many(queue.get_job_ids(), connection=queue.connection):
        if job is not None and job.func_name == task.module_path:
            times.append(timezone.now())
    return min(times, default=None)


def next_waiting_run(task: Task[Any, Any]) -> datetime | None:
    """When the earliest run of ``task`` that waits in the engine (queued or held for later)
    is due; None when none waits or the engine cannot tell. Raises redis.RedisError when
    RQ's Redis does not answer."""
    backend = task.get_backend()
    if isinstance(backend, RQBackend):
        queue = rq_queue(task.queue_name)
        try:
            return _rq_waiting_run(task, queue)
        finally:
            queue.connection.close()
    if isinstance(backend, DatabaseBackend):
        result = (
            DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
            .order_by("run_after")
            .first()
        )
        if result is None:
            return None
        waiting: datetime = result.run_after or result.enqueued_at
        return waiting
    return None


@dataclass(frozen=True)
class TaskCounts:
    """Ready tasks by queue, and the failed tasks the engine still keeps (for the metrics)."""

    ready_by_queue: dict[str, int]
    failed: int


def count_tasks() -> TaskCounts:
    """The waiting tasks by queue and the failed ones the engine keeps; empty for an engine
    without a queue of its own. Raises what the engine raises when it does not answer (the
    metrics endpoint reports that as a failed scrape of these two series)."""
    backend = _backend()
    if isinstance(backend, RQBackend):
        ready: dict[str, int] = {}
        failed = 0
        for name in sorted(backend.queues):
            queue = rq_queue(name)
            try:
                ready[name] = queue.count
                failed += FailedJobRegistry(queue=queue).count
            finally:
                queue.connection.close()
        return TaskCounts(ready_by_queue=ready, failed=failed)
    if isinstance(backend, DatabaseBackend):
        rows = (
            DBTaskResult.objects.ready()
            .order_by()
            .values("queue_name")
            .annotate(n=Count("pk"))
            .values_list("queue_name", "n")
        )
        return TaskCounts(ready_by_queue=dict(rows), failed=DBTaskResult.objects.failed().count())
    return TaskCounts(ready_by_queue={}, failed=0)
