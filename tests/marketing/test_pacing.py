"""A campaign's rate, kept by all its workers together: the sending times they draw from the
campaign's row (``pacing.py``) never come closer than the rate allows, whoever draws them."""

from __future__ import annotations

import pytest

from bungu.marketing import pacing
from bungu.marketing.models import Campaign, CampaignState
from bungu.marketing.pacing import Pace

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


class Clock:
    """A wall clock for several workers at once that moves only when one of them sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _sending(**fields: object) -> Campaign:
    return CampaignFactory(state=CampaignState.SENDING, **fields)


def test_the_batch_is_a_quarter_second_of_the_rate_at_most_a_hundred() -> None:
    assert pacing.batch_size(60) == 1
    assert pacing.batch_size(600) == 2
    assert pacing.batch_size(12_000) == 50
    assert pacing.batch_size(60_000) == 100
    assert pacing.batch_size(600_000) == 100


def test_two_workers_drawing_in_turn_share_one_rate() -> None:
    # 120 a minute: one every half second, however many workers draw.
    campaign = _sending(rate_per_minute=120)
    clock = Clock()
    workers = [Pace(campaign.pk, size=2, clock=clock, sleep=clock.sleep) for _ in range(2)]
    sent_at: list[float] = []
    for _ in range(3):
        for worker in workers:
            assert worker.draw()
            for _ in range(2):
                assert worker.wait()
                sent_at.append(clock.now)

    start = sent_at[0]
    assert [round(t - start, 6) for t in sent_at] == [n * 0.5 for n in range(12)]


def test_a_worker_that_draws_while_another_holds_times_waits_for_its_own() -> None:
    campaign = _sending(rate_per_minute=60)
    clock = Clock()
    first = Pace(campaign.pk, size=3, clock=clock, sleep=clock.sleep)
    second = Pace(campaign.pk, size=3, clock=clock, sleep=clock.sleep)

    assert first.draw()
    assert second.draw()  # at the same instant: its times come after the first's three
    second.wait_until_due()

    assert clock.now == 1_000_000.0 + 3.0


def test_times_not_used_are_given_back_when_nobody_drew_after_them() -> None:
    campaign = _sending(rate_per_minute=60)
    clock = Clock()
    worker = Pace(campaign.pk, size=5, clock=clock, sleep=clock.sleep)
    assert worker.draw()
    assert worker.wait()  # one message; four recipients skipped

    worker.give_back()

    campaign.refresh_from_db()
    assert campaign.next_send_at == clock.now + 1.0


def test_times_are_not_given_back_over_another_workers_draw() -> None:
    campaign = _sending(rate_per_minute=60)
    clock = Clock()
    first = Pace(campaign.pk, size=5, clock=clock, sleep=clock.sleep)
    second = Pace(campaign.pk, size=5, clock=clock, sleep=clock.sleep)
    assert first.draw()
    assert second.draw()

    first.give_back()

    campaign.refresh_from_db()
    assert campaign.next_send_at == clock.now + 10.0


@pytest.mark.parametrize("state", [CampaignState.PAUSED, CampaignState.CANCELLED])
def test_a_campaign_that_stopped_gives_no_more_times(state: str) -> None:
    campaign = CampaignFactory(state=state, rate_per_minute=60)
    worker = Pace(campaign.pk, size=5)

    assert not worker.draw()
    assert not worker.wait()
    campaign.refresh_from_db()
    assert campaign.next_send_at == 0.0


def test_a_new_rate_applies_from_the_next_draw() -> None:
    campaign = _sending(rate_per_minute=60)
    clock = Clock()
    worker = Pace(campaign.pk, size=2, clock=clock, sleep=clock.sleep)
    assert worker.draw()
    Campaign.objects.filter(pk=campaign.pk).update(rate_per_minute=120)

    assert worker.draw()

    assert worker.times is not None
    assert worker.times.interval == 0.5
