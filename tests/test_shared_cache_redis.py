"""The rate limiter on a real Redis: 100 requests at once against a limit of 3 accept exactly
3 (add + incr, no read-modify-write in Python); and the same Redis stopped mid-run.

Needs the redis-server program (Debian's redis-server package, which `make cluster` installs);
without it these tests are skipped and say so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from bungu.privacy.views import throttle
from tests.catalog.factories import ProductFactory

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_server(tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - Debian's redis-server, on loopback only
        [
            str(REDIS_SERVER),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        location = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
        }
        with override_settings(CACHES={"default": location}):
            yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_100_requests_at_once_against_a_limit_of_3_accept_exactly_3(redis_server) -> None:
    limit = throttle.RateLimit("cluster-test", uses=3, per=timedelta(hours=1))
    start = threading.Barrier(100)
    answers: list[int | None] = []
    lock = threading.Lock()

    def one_request() -> None:
        start.wait(timeout=30)
        wait = throttle.use(limit, key="same-address@example.com")
        with lock:
            answers.append(wait)
        caches["default"].close()

    threads = [threading.Thread(target=one_request) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == 100
    assert answers.count(None) == 3
    assert all(isinstance(wait, int) and wait > 0 for wait in answers if wait is not None)


@pytest.mark.django_db
def test_redis_stopped_mid_run_pages_go_on_and_the_privacy_form_fails_closed(
    redis_server,
) -> None:
    url = ProductFactory().get_absolute_url()
    client = Client()
    # Redis up: the page is cached and the form counts its uses.
    assert client.get(url)["X-Bungu-Page-Cache"] == "miss"
    assert client.get(url)["X-Bungu-Page-Cache"] == "hit"
    form = {"email": "someone@example.com", "kind": "access", "description": "A copy."}
    assert client.post("/privacy/requests/by-email/", form).status_code == 302

    redis_server.terminate()
    redis_server.wait(timeout=10)

    assert client.get(url).status_code == 200
    refused = client.post("/privacy/requests/by-email/", form)
    assert refused.status_code == 503
    assert "Please try again in a minute" in refused.content.decode()
