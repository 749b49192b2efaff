"""What the health and metrics endpoints ask of the configured task engine, in one place.

Written for the embedded default, the database backend (django-tasks-db): its queue is a
table, so "reachable" means the table answers a query, and the queue's depth is a count of
its ready rows. Another engine (RQ on Redis) answers the same two questions with its own
means; only this module changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


@dataclass(frozen=True)
class TaskCounts:
    """Ready tasks by queue, and the failed tasks the engine still keeps."""

    ready_by_queue: dict[str, int]
    failed: int


def _uses_database_queue() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def tasks_engine_ready() -> tuple[bool, str]:
    """Whether the task engine takes work: (ready, a few words why). Raises nothing a caller
    must handle: a failure is (False, its reason)."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not _uses_database_queue():
        # The immediate and dummy backends run in the process itself: nothing to reach.
        return True, f"{type(backend).__name__} runs in the process"
    try:
        DBTaskResult.objects.ready().order_by().values("pk")[:1].exists()
    except Exception as error:  # any failure of the query is the answer
        return False, f"task queue table not queryable ({type(error).__name__})"
    return True, "task queue table answers"


def count_tasks() -> TaskCounts:
    """The ready tasks by queue and the failed ones, for the metrics (empty for an engine
    without a queue of its own)."""
    if not _uses_database_queue():
        return TaskCounts(ready_by_queue={}, failed=0)
    rows = (
        DBTaskResult.objects.ready()
        .order_by()
        .values("queue_name")
        .annotate(n=Count("pk"))
        .values_list("queue_name", "n")
    )
    return TaskCounts(ready_by_queue=dict(rows), failed=DBTaskResult.objects.failed().count())
