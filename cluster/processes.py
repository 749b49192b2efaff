"""The supervisor's processes: each part runs in its own session with its log in the run
directory, so Ctrl-C reaches the supervisor alone, which then stops every part it started,
whole (a part's children included)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent


class ClusterError(RuntimeError):
    """A part of the cluster could not start or answer; the message says which and why."""


def free_port() -> int:
    """A TCP port free on loopback now (another process may take it before it is bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def port_open(port: int, *, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class Part:
    """One running part of the cluster: a process group, its log, and how to stop it."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    # The process to signal for a crash (kill -9); a part started through `runuser` has its
    # real server one process below the one we started.
    crash_pid: Callable[[], int] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, timeout: float = 20) -> None:
        """SIGTERM to the whole group, then SIGKILL after ``timeout`` seconds."""
        if self.alive():
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        # Whatever the leader left behind in its group (gunicorn's workers after a crash).
        _signal_group(self.process.pid, signal.SIGKILL)

    def crash(self) -> None:
        """kill -9 the part's server, as a machine that loses power: no clean-up at all
        (the whole group, gunicorn's workers with their master, unless ``crash_pid`` names
        the one process whose death takes the others with it)."""
        if self.crash_pid is not None:
            os.kill(self.crash_pid(), signal.SIGKILL)
        else:
            _signal_group(self.process.pid, signal.SIGKILL)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def start(
    name: str,
    command: Sequence[str],
    *,
    env: dict[str, str],
    log: Path,
    cwd: Path = REPO,
) -> Part:
    """Start ``command`` in a session of its own, its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            list(command),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Part(name=name, process=process, log=log)


def run(
    name: str,
    command: Sequence[str],
    *,
    env: dict[str, str],
    log: Path,
    timeout: float = 600,
    cwd: Path = REPO,
) -> None:
    """Run a one-off step to its end; raise ClusterError with its output if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_file:
        try:
            finished = subprocess.run(
                list(command),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{name} took longer than {timeout:g} s; see {log}") from None
    if finished.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise ClusterError(f"{name} failed (exit {finished.returncode}); see {log}:\n{tail}")


def wait_until(
    ready: Callable[[], bool], *, part: Part | None, what: str, timeout: float = 90
) -> None:
    """Poll ``ready`` until it is true; raise when ``part`` exits or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if part is not None and not part.alive():
            raise ClusterError(f"{what} exited while starting; see {part.log}:\n{part.tail()}")
        if ready():
            return
        time.sleep(0.2)
    tail = f"; see {part.log}:\n{part.tail()}" if part is not None else ""
    raise ClusterError(f"{what} did not answer within {timeout:g} s{tail}")
