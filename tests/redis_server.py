"""A real Redis for a test: Debian's ``redis-server`` on a free loopback port, in a temporary
directory, with no persistence (no RDB snapshots, no append-only file), stopped afterwards.

``redis_server`` (function scope) yields a ``RedisServer`` with ``.url`` (``redis://...``),
``.client()`` and ``.stop()``/``.start()`` (the same port, empty again: nothing persists).
Import the fixture into a test module or a conftest to use it. ``make test`` installs the
program when it is missing (``make redis``), so a test that needs it fails, never skips.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.processor import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@dataclass
class RedisServer:
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, fixed arguments
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                # Ours only if it is our process that answers: when another server took the
                # free port first, the answer came from that one.
                if self.client().info("server").get("process_id") == self.process.pid:
                    return
            except redis.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    "redis-server did not start: "
                    + (self.directory / "redis.log").read_text()[-2000:]
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is not installed (Debian's redis-server package)")
    for attempt in range(3):  # another process may take the free port first
        server = RedisServer(directory=tmp_path_factory.mktemp("redis"))
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == 2:
                raise
    yield server
    server.stop()
