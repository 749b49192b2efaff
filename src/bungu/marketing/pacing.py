"""A campaign's rate, kept by all its sending workers together.

The campaign's row holds its schedule: ``next_send_at``, the (Unix) time from which its next
message may go. A worker about to claim a batch of ``n`` recipients first takes the next ``n``
sending times with one conditional UPDATE (``next_send_at = max(next_send_at, now) + n *
60 / rate``, only while the campaign is sending), sleeps until the first of them, claims, and
sends message ``k`` of the batch no earlier than ``start + k * 60 / rate``. Every worker on
every node draws from the same row, so the times of all the campaign's messages are spaced
by the interval however many workers there are. This is a token bucket kept as its schedule
(the "virtual scheduling" form, GCRA): a draw never fails or retries, it only says when.

What a batch does not use (recipients skipped by the checks, another worker took the rows,
the campaign stopped) is given back when nobody drew after it, so skipped recipients do not
slow the campaign.

The bound: over any stretch of ``W`` seconds, the campaign's workers together start at most
``rate * W / 60 + 1`` messages on time, plus what a worker that fell behind its own times
sends late, at most the rest of its batch: ``+ workers * batch``. A batch is at most a
quarter of a second of the rate (``DRAW_SECONDS``) and never more than ``BATCH_SIZE``.
The times are the workers' wall clocks, so nodes keep their clocks in step (NTP); a skew
of ``d`` seconds lets at most ``d`` seconds' worth more through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest

from .models import Campaign, CampaignState

# A batch is at most this many recipients ...
BATCH_SIZE = 100
# ... and at most this long at the campaign's rate: the slack of the shared rate is a batch
# per worker, and a batch on time is sent within its checks' freshness
# (``sending.MAX_CHECK_AGE``), so they are rarely read twice.
DRAW_SECONDS = 0.25


def batch_size(rate_per_minute: int) -> int:
    """How many recipients a worker claims, and sending times it draws, at once."""
    return max(1, min(BATCH_SIZE, int(rate_per_minute * DRAW_SECONDS / 60)))


@dataclass(frozen=True)
class Times:
    """``count`` sending times from ``start``, ``interval`` seconds apart."""

    start: float
    interval: float
    count: int

    def at(self, index: int) -> float:
        return self.start + index * self.interval

    @property
    def end(self) -> float:
        """The campaign's ``next_send_at`` as this draw left it."""
        return self.at(self.count)


def take_times(*, campaign_id: int, count: int, now: float) -> Times | None:
    """The campaign's next ``count`` sending times, taken for this worker alone (one
    UPDATE, atomic on SQLite and PostgreSQL alike). None when the campaign is not sending
    (paused, cancelled, done)."""
    gap = Value(count * 60.0, output_field=FloatField()) / F("rate_per_minute")
    with transaction.atomic():
        taken = Campaign.objects.filter(pk=campaign_id, state=CampaignState.SENDING).update(
            next_send_at=Greatest(F("next_send_at"), Value(now, output_field=FloatField())) + gap
        )
        if not taken:
            return None
        end, rate = (
            Campaign.objects.filter(pk=campaign_id)
            .values_list("next_send_at", "rate_per_minute")
            .get()
        )
    interval = 60.0 / rate
    return Times(start=end - count * interval, interval=interval, count=count)


def give_back(*, campaign_id: int, times: Times, used: int) -> bool:
    """Return the unused end of a draw, if no worker has drawn after it (one UPDATE)."""
    return bool(
        Campaign.objects.filter(pk=campaign_id, next_send_at=times.end).update(
            next_send_at=times.at(used)
        )
    )


@dataclass
class Pace:
    """One worker's share of a campaign's schedule: draws ``size`` times at once and sleeps
    until each. ``clock`` is the wall clock, which all nodes share."""

    campaign_id: int
    size: int
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    times: Times | None = field(default=None, init=False)
    used: int = field(default=0, init=False)

    def draw(self) -> bool:
        """Take the campaign's next ``size`` sending times, giving back what is left of the
        last draw. False when the campaign is no longer sending."""
        self.give_back()
        self.times = take_times(campaign_id=self.campaign_id, count=self.size, now=self.clock())
        self.used = 0
        return self.times is not None

    def wait_until_due(self) -> None:
        """Sleep until the next time drawn (without using it)."""
        if self.times is not None and self.used < self.times.count:
            pause = self.times.at(self.used) - self.clock()
            if pause > 0:
                self.sleep(pause)

    def wait(self) -> bool:
        """Sleep until this worker's next sending time and use it, drawing more when every
        time drawn is used. False (at once) when the campaign is no longer sending."""
        if (self.times is None or self.used >= self.times.count) and not self.draw():
            return False
        self.wait_until_due()
        self.used += 1
        return True

    def give_back(self) -> None:
        """Return the times drawn and not used, while they are still ahead."""
        times, self.times = self.times, None
        if times is None or self.used >= times.count or times.end <= self.clock():
            return
        give_back(campaign_id=self.campaign_id, times=times, used=self.used)
