"""Two real sending processes on one campaign keep its rate together, not each (#13), and
pause it together after its errors in a row.

Each worker is a process of its own (``sender_process.py``: ``bungu send_campaigns --wait``)
on the shared test database, sending to a real SMTP server on loopback that notes when each
message arrived. Over every stretch of the campaign, what arrived must stay within the rate,
plus the slack the shared schedule allows (a batch per worker: ``pacing.py``) and a message
per worker for the server's own timing. The positive control plants the old fault, each
worker keeping its own schedule, and the same measure must catch it.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bungu.marketing import pacing
from bungu.marketing.lifecycle import begin_campaign
from bungu.marketing.models import Campaign, CampaignRecipient, CampaignState, RecipientState
from tests.accounts.factories import CustomerFactory
from tests.processor import SRC

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = SRC.parent
WORKERS = 2
RATE = 600  # a minute: ten a second for the campaign, whatever the number of workers
RECIPIENTS = 60
SLACK = WORKERS * pacing.batch_size(RATE) + WORKERS


def _env(database: str, smtp_server: object, tmp_path: Path) -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DJANGO_", "CARDSANDBOX_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    } | {
        "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bungu.settings",
        "DATABASE_URL": database,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "BUNGU_VAR_DIR": str(tmp_path / "var"),
        "BUNGU_CACHE_URL": "locmem://",
        "BUNGU_SMTP_HOST": smtp_server.host,  # type: ignore[attr-defined]
        "BUNGU_SMTP_PORT": str(smtp_server.port),  # type: ignore[attr-defined]
    }


def _send_with_workers(env: dict[str, str], *extra: str) -> list[str]:
    """Start the workers, let them all go at once, and return each one's tally."""
    command = [sys.executable, "-m", "tests.marketing.sender_process", *extra]
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        tallies = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-3000:]
            tallies.append(out.strip().splitlines()[-1])
        return tallies
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _count(tally: str, what: str) -> int:
    found = re.search(rf"(\d+) {what}", tally)
    assert found, tally
    return int(found.group(1))


def _excess(arrivals: list[float], *, per_minute: int) -> float:
    """How many messages more than the rate allows arrived in the worst stretch: the most,
    over every first and last message of a stretch, of those in it less ``1 + rate * its
    length``."""
    times = sorted(arrivals)
    per_second = per_minute / 60
    return max(
        (last - first + 1) - (1 + per_second * (times[last] - times[first]))
        for first in range(len(times))
        for last in range(first, len(times))
    )


def _campaign_to_everyone(**fields: object) -> Campaign:
    CustomerFactory.create_batch(RECIPIENTS)
    campaign = CampaignFactory(**fields)
    begin_campaign(campaign_id=campaign.pk, now=campaign.created_at)
    return campaign


def test_two_sending_processes_together_keep_the_campaigns_rate(
    shared_database: str, smtp_server, tmp_path: Path
) -> None:
    campaign = _campaign_to_everyone(rate_per_minute=RATE)

    tallies = _send_with_workers(_env(shared_database, smtp_server, tmp_path))

    arrivals = [mail.at for mail in smtp_server.messages]
    assert len(arrivals) == RECIPIENTS
    # Both took part, each a share of the one rate.
    assert all(_count(tally, "sent") > 0 for tally in tallies), tallies
    assert sum(_count(tally, "sent") for tally in tallies) == RECIPIENTS
    assert _excess(arrivals, per_minute=RATE) <= SLACK
    # The whole campaign took as long as the rate says, less the slack.
    assert max(arrivals) - min(arrivals) >= (RECIPIENTS - 1 - SLACK) * 60 / RATE
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE


def test_control_workers_keeping_their_own_schedule_are_caught_sending_too_fast(
    shared_database: str, smtp_server, tmp_path: Path
) -> None:
    _campaign_to_everyone(rate_per_minute=RATE)

    tallies = _send_with_workers(_env(shared_database, smtp_server, tmp_path), "--per-worker")

    arrivals = [mail.at for mail in smtp_server.messages]
    assert len(arrivals) == RECIPIENTS
    assert all(_count(tally, "sent") > 0 for tally in tallies), tallies
    assert _excess(arrivals, per_minute=RATE) > SLACK


def test_errors_in_a_row_pause_the_campaign_once_for_all_its_workers(
    shared_database: str, smtp_server, tmp_path: Path
) -> None:
    campaign = _campaign_to_everyone(rate_per_minute=RATE, max_consecutive_errors=3)
    smtp_server.refuse("451 4.3.0 Try again later")

    tallies = _send_with_workers(_env(shared_database, smtp_server, tmp_path))

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.PAUSED
    assert campaign.pause_reason.startswith("Paused by itself after 3 errors in a row")
    # Three errors pause it; a worker with a message already on its way may add one, and
    # then stops too: no worker goes on trying a paused campaign.
    tried = sum(_count(tally, "to retry") for tally in tallies)
    assert 3 <= tried <= 3 + WORKERS - 1, tallies
    assert CampaignRecipient.objects.exclude(state=RecipientState.PENDING).count() == tried
    # Counted while it was sending: the one that found it paused is not.
    assert campaign.consecutive_errors == 3
