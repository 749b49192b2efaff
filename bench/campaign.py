"""The campaign scenario: N generated customers sent one campaign by the real sender, to a
loopback SMTP server that accepts, counts and discards (``campaign_sink.py``). Reports
messages per second, CPU milliseconds per message and the sending process's peak memory.

    .venv/bin/python bench/campaign.py --campaign-recipients 100000

Each run uses a fresh SQLite database under ``var/bench/campaign-<N>/`` (the default,
embedded profile). Exit status 0; 1 with ``--check`` when a target (1,000 messages/s, 200 MB)
is missed; 2 when the run could not be carried out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_PER_SECOND = 1000
TARGET_PEAK_MB = 200


def _env(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BUNGU_") and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env.update(
        BUNGU_VAR_DIR=str(var_dir),
        BUNGU_LOG_LEVEL="WARNING",
        BUNGU_SMTP_HOST="127.0.0.1",
        BUNGU_SMTP_PORT=str(port),
        DJANGO_SETTINGS_MODULE="bungu.settings",
    )
    return env


def run(recipients: int) -> dict[str, object]:
    var_dir = REPO / "var" / "bench" / f"campaign-{recipients}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    sink = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "campaign_sink.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        env = _env(var_dir, port)
        print(f"Migrating {var_dir.relative_to(REPO)}...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "bungu", "migrate", "--noinput"],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        print(f"Sending a campaign to {recipients:,} customers...", flush=True)
        out = var_dir / "campaign.json"
        subprocess.run(
            [
                sys.executable,
                str(REPO / "bench" / "campaign_sender.py"),
                "--recipients",
                str(recipients),
                "--out",
                str(out),
            ],
            env=env,
            cwd=REPO,
            check=True,
        )
        result: dict[str, object] = json.loads(out.read_text())
    finally:
        sink.terminate()
        remaining, _ = sink.communicate(timeout=30)
    received = [line for line in remaining.splitlines() if line.startswith("RECEIVED ")]
    result["received_by_server"] = int(received[0].split()[1]) if received else None
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--campaign-recipients", type=int, default=100_000, help="customers (100000)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.campaign_recipients < 1:
        print("--campaign-recipients: give at least 1", file=sys.stderr)
        return 2
    try:
        result = run(args.campaign_recipients)
    except (subprocess.CalledProcessError, OSError, ValueError, IndexError) as error:
        print(f"The campaign scenario could not run: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    missed = (
        float(str(result["messages_per_second"])) < TARGET_PER_SECOND
        or float(str(result["peak_rss_mb"])) > TARGET_PEAK_MB
    )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
