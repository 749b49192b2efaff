"""Worker nodes for the RQ checks: each a real ``bungu worker`` process (an RQ worker, its
forked job processes and its scheduler process) with its own var directory, on the shared
database and the shared Redis; ``kill()`` is a node dying: SIGKILL to the whole tree at once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.processor import SRC, free_port

ROOT = SRC.parent
# Short so a dead worker's job is found within about a minute (RQ adds 60 s to a job's last
# heartbeat), and an idle worker looks for it every few seconds.
WORKER_OPTIONS = [
    "--maintenance-interval",
    "2",
    "--job-monitoring-interval",
    "2",
    "--worker-ttl",
    "20",
]


def node_environment(
    *, database_url: str, redis_url: str, var_dir: Path, **extra: str
) -> dict[str, str]:
    """The environment of a node: the shop's variables only, as a deployment sets them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DJANGO_", "CARDSANDBOX_", "RQ_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    return (
        env
        | {
            "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": "tests.cluster.rq_node_settings",
            "DATABASE_URL": database_url,
            "BUNGU_TASKS_URL": redis_url,
            "SECRET_KEY": extra.pop("SECRET_KEY", secrets.token_urlsafe(32)),
            "BUNGU_VAR_DIR": str(var_dir),
            "BUNGU_CACHE_URL": "locmem://",
            # Nothing listens there: the reconciliation job fails fast instead of reaching a
            # processor someone else runs on this machine.
            "BUNGU_PROCESSOR_URL": f"http://127.0.0.1:{free_port()}",
            "BUNGU_TASK_RETRY_SECONDS": "1,2",
        }
        | extra
    )


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Node:
    name: str
    env: dict[str, str]
    log: Path
    starts: int = 0
    process: subprocess.Popen[bytes] | None = None
    worker_names: list[str] = field(default_factory=list)

    def start(self) -> str:
        """Start the node's worker; returns its (new) RQ worker name."""
        self.starts += 1
        worker_name = f"{self.name}-{self.starts}"
        self.worker_names.append(worker_name)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "bungu", "worker", "--name", worker_name, *WORKER_OPTIONS],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return worker_name

    def kill(self) -> None:
        """The node dies: every process of it stopped, then SIGKILLed, at the same instant."""
        assert self.process is not None
        tree = [self.process.pid, *_descendants(self.process.pid)]
        for pid in tree:
            _signal(pid, signal.SIGSTOP)
        for pid in tree:
            _signal(pid, signal.SIGKILL)
        assert self.process.wait(10) == -signal.SIGKILL
        self.process = None

    def stop(self) -> None:
        """At the end of a test: nothing of the node is kept (Redis goes too), so no warm
        shutdown to wait for."""
        if self.process is not None:
            self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def wait_for(condition: Callable[[], object], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)
