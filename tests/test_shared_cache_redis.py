"""The rate limiter on a real Redis: 100 requests at once against a limit of 3 accept exactly
3 (add + incr, no read-modify-write in Python); and the same Redis stopped mid-run.

Needs the redis-server program (Debian's redis-server package, which `make test` installs).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from bungu.privacy.views import throttle
from tests.catalog.factories import ProductFactory
from tests.redis_server import RedisServer, redis_server

__all__ = ["redis_server"]


@pytest.fixture
def redis_cache(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The shop's cache on a real Redis."""
    location = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_server.url,
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
    }
    with override_settings(CACHES={"default": location}):
        yield redis_server


def test_100_requests_at_once_against_a_limit_of_3_accept_exactly_3(redis_cache) -> None:
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
    redis_cache: RedisServer,
) -> None:
    url = ProductFactory().get_absolute_url()
    client = Client()
    # Redis up: the page is cached and the form counts its uses.
    assert client.get(url)["X-Bungu-Page-Cache"] == "miss"
    assert client.get(url)["X-Bungu-Page-Cache"] == "hit"
    form = {"email": "someone@example.com", "kind": "access", "description": "A copy."}
    assert client.post("/privacy/requests/by-email/", form).status_code == 302

    redis_cache.stop()

    assert client.get(url).status_code == 200
    refused = client.post("/privacy/requests/by-email/", form)
    assert refused.status_code == 503
    assert "Please try again in a minute" in refused.content.decode()
