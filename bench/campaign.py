"""The campaign scenario: N generated customers sent one campaign by the real sender, to a
loopback SMTP server that accepts, counts and discards (``campaign_sink.py``). Reports
messages per second, CPU milliseconds per message and the sending process's peak memory.

    make bench-campaign BENCH_ARGS="--campaign-recipients 20000 --senders 1"

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
from typing import Any

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


def _sender(phase: str, *arguments: str, env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    script = str(REPO / "bench" / "campaign_sender.py")
    command = [sys.executable, script, phase, *arguments, "--out", str(out)]
    return subprocess.Popen(command, env=env, cwd=REPO)


def _finish(process: subprocess.Popen[bytes]) -> None:
    if process.wait() != 0:
        raise subprocess.CalledProcessError(process.returncode, process.args)


def run(recipients: int, *, senders: int, var_dir: Path | None = None) -> dict[str, object]:
    var_dir = var_dir or REPO / "var" / "bench" / f"campaign-{recipients}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    sink = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "campaign_sink.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if sink.stdout is None:
            raise OSError("the SMTP sink has no output to read its port from")
        port = int(sink.stdout.readline().split()[1])
        env = _env(var_dir, port)
        print(f"Migrating {var_dir.name}...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "bungu", "migrate", "--noinput"],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        print(f"Generating {recipients:,} customers and starting the campaign...", flush=True)
        prepared = var_dir / "prepared.json"
        _finish(_sender("prepare", "--recipients", str(recipients), env=env, out=prepared))
        setup: dict[str, Any] = json.loads(prepared.read_text())
        print(f"Sending with {senders} worker(s)...", flush=True)
        outs = [var_dir / f"sender-{n}.json" for n in range(senders)]
        workers = [
            _sender("send", "--campaign", str(setup["campaign"]), env=env, out=out) for out in outs
        ]
        for worker in workers:
            _finish(worker)
        sent_by = [json.loads(out.read_text()) for out in outs]
    finally:
        sink.terminate()
        remaining, _ = sink.communicate(timeout=30)
    said = dict(line.split(" ", 1) for line in remaining.splitlines() if " " in line)
    sent = sum(int(one["sent"]) for one in sent_by)
    cpu = sum(float(one["cpu_seconds"]) for one in sent_by)
    # From each worker's first claim to its last message: not the processes' start-up.
    wall = max(float(one["seconds"]) for one in sent_by)
    return {
        "recipients": recipients,
        "senders": senders,
        **{key: setup[key] for key in ("generated_seconds", "start_seconds")},
        "tallies": [one["tally"] for one in sent_by],
        "sent": sent,
        "received_by_server": int(said.get("RECEIVED", "0")),
        "seconds": round(wall, 2),
        "messages_per_second": round(sent / wall, 1) if wall else 0.0,
        "cpu_ms_per_message": round(cpu * 1000 / sent, 3) if sent else None,
        "server_cpu_ms_per_message": (
            round(float(said["CPU"]) * 1000 / sent, 3) if sent and "CPU" in said else None
        ),
        "peak_rss_mb": max(float(one["peak_rss_mb"]) for one in sent_by),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--campaign-recipients", type=int, default=100_000, help="customers (100000)"
    )
    parser.add_argument("--senders", type=int, default=2, help="sending workers at once (2)")
    parser.add_argument("--var-dir", type=Path, help="where the database goes (var/bench/)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.campaign_recipients < 1 or args.senders < 1:
        print("--campaign-recipients and --senders: give at least 1", file=sys.stderr)
        return 2
    try:
        result = run(args.campaign_recipients, senders=args.senders, var_dir=args.var_dir)
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
