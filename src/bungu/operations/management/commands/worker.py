"""``bungu worker``: the background worker for whichever task engine is configured.

One command for ``make run``, ``make cluster`` and a deployment's supervisor: with the
database backend (the default) it is django-tasks-db's ``db_worker``; with
``BUNGU_TASKS_URL=redis://...`` it is an RQ worker with django-tasks-rq's job class and
RQ's scheduler (tasks held for later and retries after a pause are moved to the queue by
whichever worker holds the scheduler's lock in Redis).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_rq.utils import reset_db_connections
from django_rq.workers import get_worker
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_rq import RQBackend
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from rq.logutils import setup_loghandlers

# Shorter than RQ's (600 s and 420 s): a dead node's job is found within about four minutes
# (its last heartbeat + 90 s, then the next look by a worker, which an idle worker takes
# between two waits for work of worker-ttl - 15 s) instead of about eighteen. A look is one
# small Redis transaction per queue, under a lock, so only one worker does it at a time.
MAINTENANCE_INTERVAL = 60
WORKER_TTL = 90


def _seconds(value: str) -> int:
    seconds = int(value)
    if seconds < 1:
        raise ValueError(value)
    return seconds


class Command(BaseCommand):
    help = (
        "Run the background worker of the configured task engine: the database's "
        "(django-tasks-db) by default, RQ's when BUNGU_TASKS_URL names a Redis."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst", action="store_true", help="run what is waiting, then exit (tests, cron)"
        )
        parser.add_argument("--name", help="the worker's name (unique; default: generated)")
        rq = parser.add_argument_group("RQ only")
        rq.add_argument(
            "--maintenance-interval",
            type=_seconds,
            default=MAINTENANCE_INTERVAL,
            help="seconds between looks for the jobs of dead workers (default: %(default)s)",
        )
        rq.add_argument(
            "--job-monitoring-interval",
            type=_seconds,
            default=DEFAULT_JOB_MONITORING_INTERVAL,
            help="seconds between heartbeats of a running job; a job is abandoned 60 s after "
            "the next one was due (default: %(default)s)",
        )
        rq.add_argument(
            "--worker-ttl",
            type=_seconds,
            default=WORKER_TTL,
            help="seconds an idle worker stays registered between heartbeats; it waits for "
            "work 15 s less than this at a time (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if isinstance(backend, RQBackend):
            self._rq_worker(sorted(backend.queues), options)
        elif isinstance(backend, DatabaseBackend):
            db_options: dict[str, Any] = {"reload": False, "batch": options["burst"]}
            if options["name"]:
                db_options["worker_id"] = options["name"]
            call_command("db_worker", queue_name=",".join(sorted(backend.queues)), **db_options)
        else:
            raise CommandError(
                f"The task backend {type(backend).__name__} has no worker: it runs tasks in "
                "the process that enqueues them (or drops them)."
            )

    def _rq_worker(self, queues: list[str], options: dict[str, Any]) -> None:
        level = {0: "WARNING", 1: "INFO"}.get(options["verbosity"], "DEBUG")
        setup_loghandlers(level)
        worker = get_worker(
            *queues,
            name=options["name"],
            maintenance_interval=options["maintenance_interval"],
            job_monitoring_interval=options["job_monitoring_interval"],
            worker_ttl=options["worker_ttl"],
        )
        # Each job runs in a forked process: it must not share the parent's connections.
        reset_db_connections()
        try:
            worker.work(burst=options["burst"], with_scheduler=True, logging_level=level)
        except RedisConnectionError as error:
            raise CommandError(f"Redis does not answer: {error}") from error
