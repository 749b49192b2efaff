"""`make bench-campaign`, kept from rotting: a small campaign goes the whole way, two real
sending workers to a loopback SMTP sink, every message counted once at the far end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "bench" / "campaign.py"


def test_a_small_campaign_is_sent_once_to_each_recipient_by_two_workers(tmp_path: Path) -> None:
    arguments = ["--campaign-recipients", "60", "--senders", "2"]
    finished = subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, str(SCRIPT), *arguments, "--var-dir", str(tmp_path / "campaign")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )

    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout[finished.stdout.index("{") :])
    assert result["sent"] == result["received_by_server"] == 60
    assert result["cpu_ms_per_message"] > 0
    assert 0 < result["peak_rss_mb"] < 1000


def test_a_campaign_of_no_one_is_refused_with_a_reason() -> None:
    finished = subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, str(SCRIPT), "--campaign-recipients", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )

    assert finished.returncode == 2
    assert "--campaign-recipients" in finished.stderr
