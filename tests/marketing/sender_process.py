"""A campaign-sending worker in a process of its own, for the tests of the shared rate: it
starts Django, says "ready", waits for "go" on its input (so that several start sending at
the same instant), runs ``bungu send_campaigns --wait`` and prints its tally.

``--per-worker`` plants the fault the shared rate exists against: this process keeps its own
schedule, as each worker did before the campaign's row held it (the tests' positive control).
"""

from __future__ import annotations

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from bungu.marketing import pacing  # noqa: E402
from bungu.marketing.models import Campaign, CampaignState  # noqa: E402

_own_schedule = {"next": 0.0}


def _times_of_this_worker_alone(*, campaign_id: int, count: int, now: float) -> pacing.Times | None:
    state, rate = Campaign.objects.values_list("state", "rate_per_minute").get(pk=campaign_id)
    if state != CampaignState.SENDING:
        return None
    interval = 60.0 / rate
    start = max(_own_schedule["next"], now)
    _own_schedule["next"] = start + count * interval
    return pacing.Times(start=start, interval=interval, count=count)


def main() -> int:
    if "--per-worker" in sys.argv:
        pacing.take_times = _times_of_this_worker_alone  # type: ignore[assignment]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "go":
        return 2
    call_command("send_campaigns", wait=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
