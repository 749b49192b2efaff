"""``bungu reconcile_payments``: one run of checkout's reconciliation with the processor.

Meant to run every 10 minutes (the worker's periodic jobs, or cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bungu.checkout.reconcile import reconcile_payments


class Command(BaseCommand):
    help = "Turn orphan authorisations into orders or void them, and release expired holds."

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile_payments()
        self.stdout.write(str(report))
        for error in report.errors:
            self.stderr.write(error)
