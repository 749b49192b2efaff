"""Prometheus metrics: what the workers count, what ``bungu metrics`` serves, and that no
request to the shop can read them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY, generate_latest

from bungu.operations.metrics import (
    UNRESOLVED,
    make_metrics_server,
    metrics_registry,
    parse_metrics_address,
)
from bungu.operations.tasks import housekeeping
from tests.catalog.factories import SKUFactory

from .loopback import closed_port

SRC = Path(__file__).resolve().parents[2] / "src"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_each_request_is_counted_and_timed_by_view_and_status(client: Client) -> None:
    before = _value("bungu_http_requests_total", view="storefront:robots", status="200")
    timed = _value("bungu_http_request_duration_seconds_count", view="storefront:robots")
    lost = _value("bungu_http_requests_total", view=UNRESOLVED, status="404")

    client.get("/robots.txt")
    client.get("/robots.txt")
    client.get("/no/such/page/at/all/")

    assert _value("bungu_http_requests_total", view="storefront:robots", status="200") == before + 2
    assert _value("bungu_http_request_duration_seconds_count", view="storefront:robots") == (
        timed + 2
    )
    # An unknown path is one label, not one per path.
    assert _value("bungu_http_requests_total", view=UNRESOLVED, status="404") == lost + 1


def test_the_probes_are_not_counted(client: Client) -> None:
    before = sum(
        s.value for m in REGISTRY.collect() for s in m.samples if "http_requests" in s.name
    )
    client.get("/healthz")
    after = sum(s.value for m in REGISTRY.collect() for s in m.samples if "http_requests" in s.name)
    assert after == before


@pytest.mark.django_db
def test_the_page_cache_counts_its_hits_and_misses(client: Client, settings: Any) -> None:
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    SKUFactory()
    hits = _value("bungu_page_cache_lookups_total", result="hit")
    misses = _value("bungu_page_cache_lookups_total", result="miss")

    assert client.get("/")["X-Bungu-Page-Cache"] == "miss"
    assert client.get("/")["X-Bungu-Page-Cache"] == "hit"
    assert client.get("/")["X-Bungu-Page-Cache"] == "hit"

    assert _value("bungu_page_cache_lookups_total", result="miss") == misses + 1
    assert _value("bungu_page_cache_lookups_total", result="hit") == hits + 2


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", [{}, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}])
def test_the_shops_own_port_has_no_metrics_for_anyone(
    client: Client, forwarded: dict[str, str]
) -> None:
    client.get("/robots.txt")  # something to count
    for path in ("/metrics", "/metrics/", "/__metrics__"):
        response = client.get(path, REMOTE_ADDR="127.0.0.1", **forwarded)
        assert response.status_code == 404
        assert b"bungu_http_requests" not in response.content


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0.0.0.0:8002", "never on every interface"),
        ("[::]:8002", "never on every interface"),
        ("8.8.8.8:8002", "or a public one"),
        ("[2001:4860::8888]:8002", "or a public one"),
        ("localhost:8002", "must be an IP address"),
        ("127.0.0.1", "expected HOST:PORT"),
        ("127.0.0.1:99999", "expected HOST:PORT"),
    ],
)
def test_a_public_or_unclear_metrics_address_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_metrics_address(text)
    with pytest.raises(CommandError, match=why):
        call_command("metrics", address=text)


def test_loopback_and_private_addresses_are_accepted() -> None:
    assert parse_metrics_address("127.0.0.1:8002") == ("127.0.0.1", 8002)
    assert parse_metrics_address("10.0.0.5:9100") == ("10.0.0.5", 9100)
    assert parse_metrics_address("[::1]:9100") == ("::1", 9100)


def _worker_counts(directory: Path, view: str, times: int) -> None:
    """A process in multiprocess mode, as a gunicorn worker is, counting ``times`` requests."""
    code = (
        "from bungu import metrics; "
        f"[metrics.REQUESTS.labels({view!r}, '200').inc() for _ in range({times})]; "
        "metrics.PAGE_CACHE_HIT.inc()"
    )
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code],
        env=os.environ | {"PYTHONPATH": str(SRC), "PROMETHEUS_MULTIPROC_DIR": str(directory)},
        check=True,
        timeout=60,
    )


@pytest.fixture
def metrics_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    directory = tmp_path / "metrics"
    port = closed_port()
    server = make_metrics_server("127.0.0.1", port, metrics_registry(directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, directory
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_metrics_server_adds_up_the_workers_and_reads_the_task_queue(
    metrics_server: tuple[int, Path],
) -> None:
    port, directory = metrics_server
    _worker_counts(directory, "storefront:home", 3)
    _worker_counts(directory, "storefront:home", 4)
    housekeeping.enqueue()
    housekeeping.enqueue()
    failed = housekeeping.enqueue()
    DBTaskResult.objects.filter(pk=failed.id).update(status="FAILED")

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()

    assert 'bungu_http_requests_total{status="200",view="storefront:home"} 7.0' in text
    assert 'bungu_page_cache_lookups_total{result="hit"} 2.0' in text
    assert 'bungu_task_queue_depth{queue="default"} 2.0' in text
    assert "bungu_tasks_failed 1.0" in text


def test_the_metrics_server_listens_on_its_one_address_only(
    metrics_server: tuple[int, Path],
) -> None:
    port, _directory = metrics_server
    # Another address of this machine (outside this process: the tests' socket guard allows
    # only 127.0.0.1): refused, as a public address of the node would be.
    code = (
        "import socket, sys\n"
        "for host in ('127.0.0.1', '127.0.0.2'):\n"
        "    try:\n"
        f"        socket.create_connection((host, {port}), timeout=5).close()\n"
        "        print(host, 'open')\n"
        "    except OSError:\n"
        "        print(host, 'refused')\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.split("\n")[:2] == ["127.0.0.1 open", "127.0.0.2 refused"]


@pytest.mark.django_db(transaction=True)
def test_without_workers_the_registry_still_answers(tmp_path: Path) -> None:
    text = generate_latest(metrics_registry(tmp_path / "empty")).decode()
    assert 'bungu_task_queue_depth{queue="default"} 0.0' in text
    assert "bungu_tasks_failed 0.0" in text


def test_metrics_off_serves_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("metrics", address="off")
    assert "Metrics are off" in capsys.readouterr().out
