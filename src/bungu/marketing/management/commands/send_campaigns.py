"""``bungu send_campaigns``: run the sending loop once, in the foreground, until nothing is
left to claim (the worker's task and the periodic job run the same loop)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bungu.marketing.runner import send_due_campaigns


class Command(BaseCommand):
    help = "Start due campaigns and send what can be claimed now; prints the tally."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(send_due_campaigns()))
