"""``bungu send_campaigns``: run the sending loop in the foreground (the worker's task and the
periodic job run the same loop). ``--wait`` keeps going until no campaign is sending, waiting
for the leases of a worker that died to run out."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bungu.marketing.models import Campaign, CampaignState
from bungu.marketing.runner import send_due_campaigns
from bungu.marketing.sending import Tally, new_worker_id

PAUSE_SECONDS = 1.0


class Command(BaseCommand):
    help = "Start due campaigns and send what can be claimed; prints the tally."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            action="store_true",
            help="go on until no campaign is sending (claims held by a dead worker included)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = new_worker_id()
        tally = Tally()
        while True:
            tally.add(send_due_campaigns(worker=worker))
            sending = Campaign.objects.filter(state=CampaignState.SENDING).exists()
            if not (options["wait"] and sending):
                break
            time.sleep(PAUSE_SECONDS)
        self.stdout.write(str(tally))
