"""``bungu housekeeping``: run the shop's periodic jobs now, or make sure they are scheduled."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from redis import RedisError

from bungu.operations.registry import housekeeping_interval, interval_of
from bungu.operations.services import list_job_runs, run_jobs
from bungu.operations.tasks import next_housekeeping, schedule_housekeeping


class Command(BaseCommand):
    help = (
        "Run the periodic jobs the apps declare (account deletions, retention, sessions, "
        "notice reminders, stuck mail...) once, or with --schedule queue their run on the "
        "background worker, which then runs each job whenever it is due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--schedule",
            action="store_true",
            help="queue a run on the worker now unless one is already waiting",
        )
        what.add_argument(
            "--due",
            action="store_true",
            help="run only the jobs that are due (for cron, every few minutes)",
        )
        what.add_argument(
            "--list", action="store_true", help="list the declared jobs and their last runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            self._schedule()
            return
        if options["list"]:
            self._list()
            return
        outcomes = run_jobs(only_due=options["due"])
        for outcome in outcomes:
            self.stdout.write(str(outcome))
        failed = [outcome.job for outcome in outcomes if outcome.failed]
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} jobs failed: {', '.join(failed)}")

    def _list(self) -> None:
        for job, run in list_job_runs():
            last = "never run"
            if run is not None and run.started_at is not None:
                state = "failed" if run.failed else "ok" if run.finished_at else "running"
                last = f"last run {timezone.localtime(run.started_at):%Y-%m-%d %H:%M} ({state})"
            self.stdout.write(f"{job.name}: every {interval_of(job)}, {last}")

    def _schedule(self) -> None:
        try:
            self._queue_housekeeping()
        except RedisError as error:
            raise CommandError(
                f"The task engine (RQ on Redis) does not answer: {type(error).__name__}"
            ) from error

    def _queue_housekeeping(self) -> None:
        if schedule_housekeeping():
            self.stdout.write(
                "Housekeeping queued; the worker runs each job when it is due from now on "
                f"(every {housekeeping_interval()} unless the job says otherwise)."
            )
            return
        waiting = next_housekeeping()
        if waiting is None:
            raise CommandError(
                "The task backend cannot hold a task for later: run `bungu housekeeping` "
                "from cron instead (`--due` every few minutes runs each job when it is due)."
            )
        self.stdout.write(f"Housekeeping is already queued for {waiting:%Y-%m-%d %H:%M} UTC.")
