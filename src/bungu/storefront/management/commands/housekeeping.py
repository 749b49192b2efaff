"""``bungu housekeeping``: run the shop's periodic jobs now, or make sure they are scheduled."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.storefront.housekeeping import JOBS, interval, run_housekeeping
from bungu.storefront.tasks import next_housekeeping, schedule_housekeeping


class Command(BaseCommand):
    help = (
        "Run the periodic jobs once (account deletions, retention, sessions, notice "
        "reminders, stuck mail), or with --schedule queue their run on the background "
        "worker, which then repeats it every BUNGU_HOUSEKEEPING_MINUTES."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="queue a run on the worker now unless one is already waiting",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            self._schedule()
            return
        outcomes = run_housekeeping()
        for outcome in outcomes:
            self.stdout.write(str(outcome))
        failed = [outcome.job for outcome in outcomes if outcome.failed]
        if failed:
            raise CommandError(f"{len(failed)} of {len(JOBS)} jobs failed: {', '.join(failed)}")

    def _schedule(self) -> None:
        if schedule_housekeeping():
            self.stdout.write(
                f"Housekeeping queued; the worker repeats it every {interval()} from now on."
            )
            return
        waiting = next_housekeeping()
        if waiting is None:
            raise CommandError(
                "The task backend cannot hold a task for later: run `bungu housekeeping` "
                "from cron instead."
            )
        self.stdout.write(
            f"Housekeeping is already queued for {waiting.run_after:%Y-%m-%d %H:%M} UTC."
        )
