"""/healthz and /readyz, what the load balancer asks each node: each part failing for real
(a closed port, a server that never answers, a table gone), and the same requests passing
when the part is there."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django_tasks_db.models import DBTaskResult

from bungu.operations import health
from bungu.operations.logs import QUIET_PATHS

from .loopback import closed_port, silent_listener

# A balancer asks a node by its own address: not one of the shop's names.
NODE_HOST = "10.20.30.40:8000"


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[Any]:
    """Points the cache at a Redis on the port the test says; the test's own cache is put
    back before the cache is emptied at the end of the test."""
    before = settings.CACHES

    def point_at(port: int) -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        }

    yield point_at
    settings.CACHES = before


@pytest.fixture(autouse=True)
def _no_check_left_running() -> Iterator[None]:
    """A check left hanging by a test ends (its dependency reset) before the next test."""
    yield
    for future in list(health._in_flight.values()):
        future.result(timeout=30)
    health._in_flight.clear()


@pytest.fixture
def replica() -> Iterator[Any]:
    """A second database alias, ``replica``, pointed where the test says (PostgreSQL)."""

    def point_at(port: int) -> None:
        configured = connections.configure_settings(
            {
                "default": dict(connections.settings["default"]),
                "replica": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "bungu",
                    "USER": "bungu",
                    "HOST": "127.0.0.1",
                    "PORT": str(port),
                },
            }
        )
        connections.settings["replica"] = configured["replica"]

    yield point_at
    connections.settings.pop("replica", None)


# Without its timeout a check of a silent dependency never answers (neither client has a
# socket timeout of its own): any finite bound tells "answered after the timeout" from
# "hung". The timeout itself is the "no answer within 0.5 s" in the answer; the bound is only
# room for a busy two-core machine to run the rest of the request.
NOT_HUNG_SECONDS = 10


def _ready(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz", HTTP_HOST=NODE_HOST)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, json.loads(response.content)


def test_healthz_answers_ok_touching_no_database_no_cache_and_setting_no_cookie(
    client: Client, redis_cache: Any
) -> None:
    # No django_db mark: any query would raise. The cache is a Redis nobody listens on.
    redis_cache(closed_port())

    response = client.get("/healthz", HTTP_HOST=NODE_HOST)

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response.cookies == {}
    assert response["Cache-Control"] == "no-store"
    assert "X-Bungu-Page-Cache" not in response
    assert "Vary" not in response


def test_positive_control_a_shop_page_under_the_same_conditions_fails(
    client: Client, redis_cache: Any
) -> None:
    redis_cache(closed_port())
    # The same Host is refused by any page of the shop (ALLOWED_HOSTS) ...
    assert client.get("/robots.txt", HTTP_HOST=NODE_HOST).status_code == 400
    # ... and a catalogue page touches the database (refused here without django_db).
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        client.get("/")


def test_probes_take_get_and_head_only(client: Client) -> None:
    response = client.post("/healthz", HTTP_HOST=NODE_HOST)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_the_access_log_leaves_out_exactly_the_probes() -> None:
    assert QUIET_PATHS == health.PROBE_PATHS


@pytest.mark.django_db
def test_readyz_reports_every_part_ready(client: Client) -> None:
    status, body = _ready(client)

    assert status == 200
    assert body["status"] == "ready"
    assert set(body["parts"]) == {"database", "cache", "tasks"}
    assert all(part["ok"] for part in body["parts"].values()), body
    assert body["parts"]["cache"]["detail"] == "probe value read back"


@pytest.mark.django_db
def test_readyz_says_503_when_the_cache_refuses_connections(
    client: Client, redis_cache: Any
) -> None:
    redis_cache(closed_port())

    status, body = _ready(client)

    assert status == 503
    assert body["status"] == "not ready"
    assert body["parts"]["cache"] == {"ok": False, "detail": "ConnectionError"}
    assert body["parts"]["database"]["ok"] is True
    assert body["parts"]["tasks"]["ok"] is True


@pytest.mark.django_db
def test_a_real_redis_is_ready(client: Client, redis_cache: Any, redis_port: int) -> None:
    # The positive control of the test above: the same client configuration, a live server.
    redis_cache(redis_port)

    status, body = _ready(client)

    assert status == 200, body
    assert body["parts"]["cache"] == {"ok": True, "detail": "probe value read back"}


@pytest.mark.django_db
def test_a_hung_cache_gives_503_within_the_timeout_not_a_hung_request(
    client: Client, settings: Any, redis_cache: Any
) -> None:
    settings.BUNGU_READYZ_TIMEOUT = 0.5
    with silent_listener() as port:
        redis_cache(port)
        started = time.monotonic()
        status, body = _ready(client)
        took = time.monotonic() - started
        # Asked again while the first check still hangs: no second thread, still 503.
        again_status, again = _ready(client)

    assert status == 503
    assert body["parts"]["cache"] == {"ok": False, "detail": "no answer within 0.5 s"}
    assert took < NOT_HUNG_SECONDS
    assert again_status == 503
    assert again["parts"]["cache"]["detail"] == "an earlier check has not answered yet"
    assert [t for t in health._in_flight if t == "cache"] == ["cache"]


@pytest.mark.django_db
def test_readyz_says_503_when_the_replica_refuses_connections(
    client: Client, replica: Any, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    replica(port)

    status, body = _ready(client)

    assert status == 503
    assert body["parts"]["database:replica"] == {"ok": False, "detail": "OperationalError"}
    assert body["parts"]["database"]["ok"] is True
    # The driver's message names the server: logged for the operator, never shown.
    assert str(port) not in json.dumps(body)
    assert str(port) in caplog.text


@pytest.mark.django_db
def test_a_hung_replica_gives_503_within_the_timeout(
    client: Client, replica: Any, settings: Any
) -> None:
    settings.BUNGU_READYZ_TIMEOUT = 0.5
    with silent_listener() as port:
        replica(port)
        started = time.monotonic()
        status, body = _ready(client)
        took = time.monotonic() - started

    assert status == 503
    assert body["parts"]["database:replica"]["detail"] == "no answer within 0.5 s"
    assert took < NOT_HUNG_SECONDS


@pytest.mark.django_db(transaction=True)
def test_readyz_says_503_when_the_task_queue_cannot_be_read(client: Client) -> None:
    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_away"')
    try:
        status, body = _ready(client)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}_away" RENAME TO "{table}"')
    again_status, _again = _ready(client)

    assert status == 503
    assert body["parts"]["tasks"]["ok"] is False
    assert body["parts"]["tasks"]["detail"].startswith("database task queue unreadable")
    assert again_status == 200
