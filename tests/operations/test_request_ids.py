"""Request ids and JSON logs: every line a request causes carries its id and the node's
name, and the JSON lines hold no more than the text ones (P5)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from bungu.operations.logs import JsonLogFormatter, ScrubFilter
from bungu.operations.request_ids import REQUEST_ID_HEADER, RequestContextFilter

TOKEN = "AbCdEf0123456789SeCrEtToKeN"
NGINX_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What Django's request logger writes through a JSON handler set up as the settings do."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_each_response_carries_a_new_request_id(client: Client) -> None:
    first = client.get("/robots.txt")[REQUEST_ID_HEADER]
    second = client.get("/robots.txt")[REQUEST_ID_HEADER]
    assert len(first) == 32
    assert int(first, 16) >= 0
    assert first != second


@pytest.mark.django_db
def test_the_id_nginx_set_is_kept_behind_a_trusted_proxy(client: Client, settings: Any) -> None:
    settings.BUNGU_TRUSTED_PROXIES = 1
    response = client.get("/robots.txt", HTTP_X_REQUEST_ID=NGINX_ID)
    assert response[REQUEST_ID_HEADER] == NGINX_ID


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["short", "a b c d e f g h", "x" * 65, "id\nforged line of the log", "<script>"]
)
def test_an_unsafe_incoming_id_is_replaced(client: Client, settings: Any, incoming: str) -> None:
    settings.BUNGU_TRUSTED_PROXIES = 1
    response = client.get("/robots.txt", HTTP_X_REQUEST_ID=incoming)
    assert response[REQUEST_ID_HEADER] != incoming
    assert len(response[REQUEST_ID_HEADER]) == 32


@pytest.mark.django_db
def test_without_a_proxy_of_ours_the_visitors_header_is_not_taken(client: Client) -> None:
    response = client.get("/robots.txt", HTTP_X_REQUEST_ID=NGINX_ID)
    assert response[REQUEST_ID_HEADER] != NGINX_ID


@pytest.mark.django_db
def test_a_log_line_of_the_request_carries_its_id_and_the_node_in_json(
    client: Client, json_lines: io.StringIO
) -> None:
    response = client.get(f"/nowhere/{TOKEN}/", {"token": TOKEN})

    assert response.status_code == 404
    [record] = _records(json_lines)
    assert record["request_id"] == response[REQUEST_ID_HEADER]
    assert record["node"] == RequestContextFilter().node
    assert record["level"] == "WARNING"
    assert record["logger"] == "django.request"
    assert record["time"].endswith("+00:00")
    # Django passes the request object along (its text holds the query string): left out.
    assert set(record) == {"time", "level", "logger", "node", "request_id", "message"}
    assert "?" not in json_lines.getvalue()
    # Once the response is closed the id is no longer anyone's.
    logging.getLogger("django.request").warning("between requests")
    assert _records(json_lines)[-1]["request_id"] == "-"


def test_outside_a_request_the_id_is_a_dash(json_lines: io.StringIO) -> None:
    logging.getLogger("django.request").warning("no request here")
    assert _records(json_lines)[0]["request_id"] == "-"


def _plant(formatter: logging.Formatter) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger("bungu.test.planted")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"bad link /x/?token={TOKEN} from 203.0.113.77")
        except ValueError:
            logger.exception("failed", extra={"request": f"<WSGIRequest: GET '/x/?token={TOKEN}'>"})
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_the_json_line_holds_the_scrubbed_traceback_and_no_extra() -> None:
    line = _plant(JsonLogFormatter())
    record = json.loads(line)
    assert "ValueError: bad link /x/?- from 203.0.113.0" in record["exc_info"]
    assert TOKEN not in line
    assert "203.0.113.77" not in line


def test_positive_control_the_librarys_own_formatter_would_leak_the_token() -> None:
    line = _plant(JsonFormatter("{levelname}{message}", style="{"))
    assert TOKEN in line
    assert "203.0.113.77" in line


def _settings_in_a_process(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import json, bungu.settings as s; "
        "print(json.dumps({n: [h['formatter'], h['filters']] "
        "for n, h in s.LOGGING['handlers'].items()}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUNGU_")}
    return subprocess.run(  # noqa: S603 - our own interpreter on our own settings
        [sys.executable, "-c", code],
        env=environment | {"PYTHONPATH": str(SRC), "BUNGU_VAR_DIR": env.pop("var")} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bungu_log_format_json_puts_every_handler_in_json(tmp_path: Path) -> None:
    done = _settings_in_a_process(
        var=str(tmp_path), BUNGU_LOG_FORMAT="json", BUNGU_LOG_DIR=str(tmp_path / "log")
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "console": ["json", ["scrub", "context"]],
        "file": ["json", ["scrub", "context"]],
    }
    # The default stays the text lines.
    done = _settings_in_a_process(var=str(tmp_path))
    assert json.loads(done.stdout) == {"console": ["plain", ["scrub", "context"]]}


def test_an_unknown_log_format_is_refused_plainly(tmp_path: Path) -> None:
    done = _settings_in_a_process(var=str(tmp_path), BUNGU_LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "BUNGU_LOG_FORMAT must be text or json, not 'xml'" in done.stderr
