"""``bungu privacy run-due-deletions``: erase the accounts whose grace period is over (P22).

`bungu housekeeping` runs it on the worker's schedule; this runs it alone, by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bungu.privacy.rights.deletion import run_due_deletions


class Command(BaseCommand):
    help = "Erase, by the data map, every account whose deletion grace period is over."

    def handle(self, *args: Any, **options: Any) -> None:
        done = run_due_deletions()
        self.stdout.write(f"Deleted {done} account(s).")
