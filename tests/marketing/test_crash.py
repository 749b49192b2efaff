"""A sending worker killed with SIGKILL mid-campaign, then started again: every recipient
gets exactly one message, counted at a real SMTP server on loopback.

The worker is a real process (``bungu send_campaigns --wait``) on the shared test database
(a WAL file on SQLite, the test database itself on PostgreSQL). The rows the dead worker had
claimed stay leased until their lease runs out (2 s here), then the next worker claims and
sends them. A worker killed in the instant between the server's "250" and its own UPDATE
would leave one message to be sent again: the retry carries the same Message-ID, which is how
a mail system recognises it, so the count is made per distinct Message-ID, and such repeats
are bounded by the number of kills.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from bungu.marketing.lifecycle import begin_campaign
from bungu.marketing.models import Campaign, CampaignRecipient, CampaignState, RecipientState
from tests.accounts.factories import CustomerFactory
from tests.processor import SRC

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = SRC.parent
RECIPIENTS = 60
LEASE_SECONDS = 2


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # The child keeps its own copy of the file descriptor.
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bungu", "send_campaigns", "--wait"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for(condition, *, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_worker_killed_mid_campaign_resumes_and_nobody_gets_two_or_none(
    shared_database: str, smtp_server, tmp_path: Path
) -> None:
    customers = [CustomerFactory(email=f"c{n:03d}@example.com") for n in range(RECIPIENTS)]
    # 600 a minute: ten a second, so the kills land mid-campaign.
    campaign = CampaignFactory(rate_per_minute=600)
    begin_campaign(campaign_id=campaign.pk, now=campaign.created_at)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DJANGO_", "CARDSANDBOX_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    } | {
        "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bungu.settings",
        "DATABASE_URL": shared_database,
        # The test's own key: the Message-IDs' return tags (P21) are keyed from it.
        "SECRET_KEY": settings.SECRET_KEY,
        "BUNGU_VAR_DIR": str(tmp_path / "var"),
        "BUNGU_CACHE_URL": "locmem://",
        "BUNGU_SMTP_HOST": smtp_server.host,
        "BUNGU_SMTP_PORT": str(smtp_server.port),
        "BUNGU_CAMPAIGN_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    log = tmp_path / "worker.log"
    kills = 0
    for stop_at in (RECIPIENTS // 4, RECIPIENTS // 2):
        worker = _worker(env, log)
        _wait_for(
            lambda n=stop_at: len(smtp_server.messages) >= n,
            seconds=60,
            what=f"{stop_at} messages ({log.read_text()[-2000:]})",
        )
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
        kills += 1
        # The dead worker left rows claimed under its lease: neither sent nor lost.
        assert CampaignRecipient.objects.filter(state=RecipientState.CLAIMED).exists()
        assert len(smtp_server.messages) < RECIPIENTS

    last = _worker(env, log)
    assert last.wait(120) == 0, log.read_text()[-3000:]

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    rows = {row.customer_id: row for row in CampaignRecipient.objects.filter(campaign=campaign)}
    assert {row.state for row in rows.values()} == {RecipientState.SENT}
    expected = {
        customer.email: rows[customer.pk].message_id(domain="bungu.test", address=customer.email)
        for customer in customers
    }
    received: dict[str, set[str]] = {}
    for mail in smtp_server.messages:
        for address in mail.rcpt_tos:
            received.setdefault(address, set()).add(str(mail["Message-ID"]))
    # Everyone, and each exactly one message (by Message-ID), the one meant for them.
    assert received == {address: {message_id} for address, message_id in expected.items()}
    copies = Counter(address for mail in smtp_server.messages for address in mail.rcpt_tos)
    repeated = sum(count - 1 for count in copies.values())
    assert repeated <= kills, copies
    assert Campaign.objects.count() == 1
