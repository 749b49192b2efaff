"""P5: the logs hold no link secrets, no query strings and no full addresses, and are kept no
longer than the data map declares."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from gunicorn import glogging
from gunicorn.config import Config

from bungu import privacy
from bungu.operations import jobs
from bungu.operations.logs import (
    ROUTE_KEY,
    AccessLogger,
    DailyFileHandler,
    ScrubFilter,
    loggable_path,
    scrub,
    truncate_address,
)
from bungu.operations.request_ids import REQUEST_ID_KEY

TOKEN = "AbCdEf0123456789SeCrEtToKeN"
FULL_IPV4 = "203.0.113.77"
FULL_IPV6 = "2001:db8:1234:5678:9abc:def0:1234:5678"


def _access_line(
    logger_class: type[Any], environ: dict[str, Any], tmp_path: Path, status: str = "200 OK"
) -> str:
    """One access-log line written by gunicorn's logger class to a file, as `make run` has it."""
    (tmp_path / "access.txt").unlink(missing_ok=True)
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.txt"))
    logger = logger_class(cfg)
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", FULL_IPV4)])
    response = SimpleNamespace(status=status, headers=[], sent=42, response_length=42)
    logger.access(response, request, environ, request_time=_Elapsed())
    for log in (logger.access_log, logger.error_log):
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
    return (tmp_path / "access.txt").read_text()


class _Elapsed:
    seconds, microseconds = 0, 1500

    def total_seconds(self) -> float:
        return 0.0015


def _environ(path: str, query: str, address: str = FULL_IPV4, **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": address,
        "HTTP_REFERER": f"https://shop.example.com/orders/guest/{TOKEN}/?t={TOKEN}",
        "HTTP_USER_AGENT": "Firefox",
        **extra,
    }


def test_the_access_log_keeps_no_token_and_no_full_address(tmp_path: Path) -> None:
    environ = _environ("/checkout/return/a1/", f"payment={TOKEN}")
    line = _access_line(AccessLogger, environ, tmp_path)
    assert "203.0.113.0 " in line
    assert '"GET /checkout/return/a1/ HTTP/1.1" 200' in line
    assert '"https://shop.example.com"' in line
    assert TOKEN not in line
    assert FULL_IPV4 not in line


def test_the_default_gunicorn_logger_would_leak_both(tmp_path: Path) -> None:
    # The control: the same request through gunicorn's own logger shows what is caught above.
    line = _access_line(
        glogging.Logger, _environ("/checkout/return/a1/", f"payment={TOKEN}"), tmp_path
    )
    assert TOKEN in line
    assert FULL_IPV4 in line


def test_a_secret_in_a_route_is_logged_by_name(tmp_path: Path) -> None:
    path = f"/orders/guest/{TOKEN}/"
    environ = _environ(path, "", address=FULL_IPV6, **{ROUTE_KEY: "/orders/guest/<token>/"})
    line = _access_line(AccessLogger, environ, tmp_path)
    assert "2001:db8:1234:: " in line
    assert "/orders/guest/<token>/" in line
    assert TOKEN not in line
    assert "5678" not in line


@pytest.mark.django_db
def test_the_middleware_names_the_secret_of_a_resolved_route(client: Client) -> None:
    response = client.get(f"/mail/unsubscribe/{TOKEN}/", {"x": "1"})
    assert response.wsgi_request.META[ROUTE_KEY] == "/mail/unsubscribe/<token>/"


def test_an_unresolved_path_hides_key_like_segments() -> None:
    assert loggable_path(f"/nowhere/{TOKEN}/") == "/nowhere/<key>/"
    assert loggable_path("/catalog/pens/") == "/catalog/pens/"


def test_addresses_are_truncated_to_their_network() -> None:
    assert truncate_address(FULL_IPV4) == "203.0.113.0"
    assert truncate_address(FULL_IPV6) == "2001:db8:1234::"
    assert truncate_address("::ffff:203.0.113.77") == "203.0.113.0"
    assert truncate_address("unix:/tmp/socket") == "-"


def _scrubbed(message: str, *args: object, exc: bool = False) -> str:
    record = logging.LogRecord("bungu", logging.ERROR, __file__, 1, message, args or None, None)
    if exc:
        try:
            raise ValueError(f"bad link /x/?token={TOKEN} from {FULL_IPV4}")
        except ValueError as error:
            record.exc_info = (ValueError, error, error.__traceback__)
    assert ScrubFilter().filter(record)
    return logging.Formatter().format(record)


def test_the_application_log_filter_scrubs_messages_and_tracebacks() -> None:
    text = _scrubbed("Forbidden: /privacy/x/?token=%s from %s and %s", TOKEN, FULL_IPV4, FULL_IPV6)
    assert text == "Forbidden: /privacy/x/?- from 203.0.113.0 and 2001:db8:1234::"
    traceback = _scrubbed("failed", exc=True)
    assert "ValueError: bad link /x/?- from 203.0.113.0" in traceback
    assert TOKEN not in traceback
    # What must stay: questions, times of day, version numbers of three parts.
    assert scrub("Is it done? at 12:30:45, v1.2.3") == "Is it done? at 12:30:45, v1.2.3"


def test_without_the_filter_the_token_reaches_the_log() -> None:
    # The control: the plain formatter alone writes what the filter removes.
    record = logging.LogRecord("bungu", logging.INFO, __file__, 1, "/x/?token=%s", (TOKEN,), None)
    assert TOKEN in logging.Formatter().format(record)


def test_the_settings_put_the_filter_on_every_root_handler() -> None:
    logging_settings = django_settings.LOGGING
    assert logging_settings["filters"]["scrub"]["()"] == "bungu.operations.logs.ScrubFilter"
    assert logging_settings["root"]["handlers"] == list(logging_settings["handlers"])
    for name, handler in logging_settings["handlers"].items():
        assert handler["filters"] == ["scrub", "context"], name


def test_the_daily_handler_writes_one_file_a_day(tmp_path: Path) -> None:
    handler = DailyFileHandler(tmp_path, prefix="access")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "first", None, None)
    handler.emit(record)
    tomorrow = logging.LogRecord("x", logging.INFO, __file__, 1, "second", None, None)
    tomorrow.created = handler._next_day_at + 60
    handler.emit(tomorrow)
    handler.close()
    # The local day the first record was made (not today's date read again afterwards: the
    # two differ when the test runs across midnight).
    today = date.fromtimestamp(record.created)  # noqa: DTZ012 - the handler names files by the local day
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files[0] == f"access-{today.isoformat()}.log"
    assert len(files) == 2
    assert (tmp_path / files[1]).read_text() == "second\n"


def _plant(directory: Path, name: str) -> Path:
    path = directory / name
    path.write_text("line\n")
    return path


@pytest.mark.django_db
def test_the_retention_job_deletes_old_log_files_and_keeps_new_ones(
    tmp_path: Path, settings: Any
) -> None:
    settings.LOG_DIR = tmp_path
    now = datetime.fromisoformat("2027-03-31T12:00:00+00:00")
    old_access = _plant(tmp_path, "access-2027-03-16.log")  # 15 days: past its 14
    kept_access = _plant(tmp_path, "access-2027-03-17.log")  # 14 days: still kept
    app_log = _plant(tmp_path, "bungu-2027-03-16.log")  # the application log keeps 30
    old_app_log = _plant(tmp_path, "bungu-2027-02-28.log")
    undeclared = _plant(tmp_path, "notes-2020-01-01.txt")
    undated = _plant(tmp_path, "access-undated.log")
    stale = time.mktime(date(2027, 1, 1).timetuple())
    os.utime(undated, (stale, stale))

    assert jobs.delete_expired_logs(now=now) == "3 log file(s) past their retention deleted"

    assert [p.exists() for p in (old_access, old_app_log, undated)] == [False, False, False]
    assert [p.exists() for p in (kept_access, app_log, undeclared)] == [True, True, True]


def test_the_logs_are_in_the_data_map_with_their_retention() -> None:
    declared = {log.pattern: log for log in privacy.log_registry}
    assert declared["access-*.log"].retention_days == 14
    assert declared["bungu-*.log"].retention_days == 30
    assert declared["access-*.log"].source == privacy.Source.AUTOMATIC
    with pytest.raises(ValueError, match="positive"):
        privacy.LogFile(
            "x",
            pattern="x-*.log",
            categories={privacy.DataCategory.DEVICE},
            purposes={privacy.Purpose.SECURITY},
            retention_days=0,
            holds="x",
        )


def test_the_json_access_line_keeps_no_token_and_no_full_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNGU_LOG_FORMAT", "json")
    monkeypatch.setenv("BUNGU_NODE_NAME", "node-b")
    environ = _environ(
        f"/orders/guest/{TOKEN}/",
        f"payment={TOKEN}&utm_source=x",
        address=FULL_IPV6,
        **{ROUTE_KEY: "/orders/guest/<token>/", REQUEST_ID_KEY: "0f1e2d3c4b5a6978"},
    )
    line = _access_line(AccessLogger, environ, tmp_path)

    record = json.loads(line)
    assert {k: v for k, v in record.items() if k != "time"} == {
        "level": "INFO",
        "logger": "gunicorn.access",
        "node": "node-b",
        "request_id": "0f1e2d3c4b5a6978",
        "message": "GET /orders/guest/<token>/ HTTP/1.1",
        "client": "2001:db8:1234::",
        "method": "GET",
        "path": "/orders/guest/<token>/",
        "status": 200,
        "bytes": 42,
        "referrer": "https://shop.example.com",
        "user_agent": "Firefox",
        "duration_ms": 1.5,
    }
    assert TOKEN not in line
    assert "5678" not in line


def test_the_json_access_log_goes_to_the_daily_file_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNGU_LOG_FORMAT", "json")
    monkeypatch.setenv("BUNGU_LOG_DIR", str(tmp_path / "log"))
    _access_line(AccessLogger, _environ("/catalog/", f"t={TOKEN}"), tmp_path)

    [daily] = (tmp_path / "log").glob("access-*.log")
    # The same daily files as the text lines: declared, and deleted after their retention.
    declared = privacy.log_registry.find(daily.name)
    assert declared is not None
    assert declared.retention_days == 14
    record = json.loads(daily.read_text())
    assert record["client"] == "203.0.113.0"
    assert record["path"] == "/catalog/"
    assert TOKEN not in daily.read_text()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_successful_probe_is_not_in_the_access_log_a_failing_one_is(
    tmp_path: Path, path: str
) -> None:
    assert _access_line(AccessLogger, _environ(path, ""), tmp_path) == ""
    failing = _access_line(AccessLogger, _environ(path, ""), tmp_path, status="503 Unavailable")
    assert f"GET {path} HTTP/1.1" in failing
    # The control: any other page is logged.
    assert "GET /catalog/ HTTP/1.1" in _access_line(
        AccessLogger, _environ("/catalog/", ""), tmp_path
    )
