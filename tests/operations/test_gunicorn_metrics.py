"""The whole path on real processes: gunicorn with the shop's configuration (two workers in
prometheus_client's multiprocess mode), then ``bungu metrics`` adding up both workers."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from .loopback import closed_port

SRC = Path(__file__).resolve().parents[2] / "src"
REQUESTS = 24

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    """The test database as another process reaches it (a file on SQLite)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _get(url: str, *, deadline: float) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                body: bytes = response.read()
                return body
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_gunicorn_workers_are_counted_together_and_a_new_start_forgets_the_last(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]], request: pytest.FixtureRequest
) -> None:
    var = tmp_path / "var"
    stale = var / "metrics" / "counter_4242.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"a dead run's numbers")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUNGU_", "PROMETHEUS_"))}
    env |= {
        "PYTHONPATH": str(SRC),
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "BUNGU_VAR_DIR": str(var),
        "BUNGU_CACHE_URL": "locmem://",
    }
    shop, metrics = closed_port(), closed_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    request.addfinalizer(log.close)
    processes.append(
        subprocess.Popen(  # noqa: S603 - our own interpreter running gunicorn on the shop
            [
                *(sys.executable, "-m", "gunicorn", "bungu.wsgi"),
                *("--config", "python:bungu.gunicorn_conf"),
                *("--bind", f"127.0.0.1:{shop}", "--workers", "2", "--no-control-socket"),
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
    )
    deadline = time.monotonic() + 60
    assert _get(f"http://127.0.0.1:{shop}/healthz", deadline=deadline) == b"ok"
    assert not stale.exists()
    for _ in range(REQUESTS):
        _get(f"http://127.0.0.1:{shop}/robots.txt", deadline=deadline)
    processes.append(
        subprocess.Popen(  # noqa: S603 - our own interpreter running the shop's command
            [sys.executable, "-m", "bungu", "metrics", "--address", f"127.0.0.1:{metrics}"],
            env=env,
            stdout=log,
            stderr=log,
        )
    )

    text = _get(f"http://127.0.0.1:{metrics}/metrics", deadline=deadline).decode()

    counted = f'bungu_http_requests_total{{status="200",view="storefront:robots"}} {REQUESTS}.0'
    assert counted in text, (tmp_path / "gunicorn.log").read_text()[-3000:]
    # Each worker that answered wrote a file of its own (named by its process id).
    files = {p.name for p in (var / "metrics").glob("counter_*.db")}
    assert files
    assert files <= {f"counter_{pid}.db" for pid in _children(processes[0].pid)}


def _children(pid: int) -> set[int]:
    return {int(line) for line in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
