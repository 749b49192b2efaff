"""The servers the benchmark starts (the shop under gunicorn, the sandbox processor): each in
its own session, so Ctrl-C reaches the benchmark, which then stops the whole server."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def running(
    command: list[str],
    *,
    env: dict[str, str],
    log: Path,
    wait_until_ready: Callable[[subprocess.Popen[bytes]], None],
) -> Iterator[int]:
    """Run ``command`` until the block ends, however it ends; yields its process id once
    ``wait_until_ready`` has returned (it raises if the server never answers)."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_ready(process)
            yield process.pid
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started: politely, then not."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
