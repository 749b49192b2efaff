"""The sending worker's loop: what the background task, the periodic job and
``bungu send_campaigns`` all run."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.utils import timezone

from .exceptions import WrongState
from .lifecycle import begin_campaign
from .models import Campaign, CampaignState
from .sending import Tally, finish_if_complete, new_worker_id, send_campaign


def start_due_campaigns(*, now: datetime) -> int:
    """Start the scheduled campaigns whose time has come."""
    due = Campaign.objects.filter(state=CampaignState.SCHEDULED, send_at__lte=now)
    started = 0
    for campaign_id in due.values_list("pk", flat=True):
        try:
            begin_campaign(campaign_id=campaign_id, now=now)
        except WrongState:  # started by another worker meanwhile
            continue
        started += 1
    return started


def send_due_campaigns(
    *, budget: timedelta | None = None, worker: str | None = None, now: datetime | None = None
) -> Tally:
    """The worker's loop: start due campaigns, then send every sending campaign until no
    recipient can be claimed (others may hold some) or the time ``budget`` is spent."""
    worker = worker or new_worker_id()
    deadline = None if budget is None else time.monotonic() + budget.total_seconds()
    start_due_campaigns(now=now or timezone.now())
    tally = Tally()
    for campaign in Campaign.objects.filter(state=CampaignState.SENDING).order_by("started_at"):
        if deadline is not None and time.monotonic() >= deadline:
            break
        tally.add(send_campaign(campaign, worker=worker, deadline=deadline))
        finish_if_complete(campaign.pk, now=timezone.now())
    return tally
