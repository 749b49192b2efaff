"""What the shop's servers write down about a visit, and what they leave out (P5).

The access log and the application log are declared in ``personal_data.py`` with their
retention; this module keeps them within what that declaration says:

* ``AccessLogger`` (gunicorn's ``--logger-class``) writes a truncated client address (IPv4 to
  its /24, IPv6 to its /48), the request's path without its query string and with the secret
  parts of a route (``<token>``) replaced by their names, the referring site without its
  path, and nothing of the other headers;
* ``ScrubFilter``, on the application log's handlers, rewrites a message's query strings and
  addresses the same way, traceback included;
* ``DailyFileHandler`` writes one file a day with the day in its name, which several processes
  may share (none renames a file another holds open) and which the retention job deletes by
  its name (``bungu.operations.jobs``);
* with ``BUNGU_LOG_FORMAT=json`` both logs are written one JSON object a line
  (``JsonLogFormatter``): time, level, logger, message, the request's id and the node's name,
  and for the access log the same few fields as the text line, nothing else. Successful
  health probes (``/healthz``, ``/readyz``) are not written to the access log at all.

This module is imported by the logging configuration before the apps are ready: it imports
no model and no other app.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponseBase
from gunicorn import glogging  # type: ignore[import-untyped]  # gunicorn ships no types
from pythonjsonlogger.json import JsonFormatter

from bungu.operations.request_ids import REQUEST_ID_KEY, RequestContextFilter

# Set by ``make run``; without it the logs go to the terminal only.
LOG_DIR_VARIABLE = "BUNGU_LOG_DIR"
ACCESS_LOG_PREFIX = "access"
APPLICATION_LOG_PREFIX = "bungu"
# The WSGI environ key the middleware leaves the loggable path under.
ROUTE_KEY = "bungu.log_path"
LOG_FORMAT_VARIABLE = "BUNGU_LOG_FORMAT"
LOG_FORMATS = frozenset({"text", "json"})
# The load balancer's probes (bungu.operations.health): every few seconds from every
# balancer, so only a failing one is worth a line in the access log.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})
# URL parameters that are secrets: the shop's signed links and allauth's keys.
SECRET_PARAMETERS = frozenset({"token", "key", "uidb36", "uidb64"})

_IPV4 = re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w.])")
# Candidates only: ipaddress decides (a time of day like 12:30:45 is not an address).
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_QUERY = re.compile(r"(?<=[^\s?])\?[^\s\"'<>]+")
# An unresolved path's segment that looks like a key: long, letters and digits mixed.
_KEY_LIKE = re.compile(r"^(?=[^/]*\d)(?=[^/]*[A-Za-z])[\w:\-]{20,}$")


def truncate_address(address: str) -> str:
    """An IPv4 address without its last byte, an IPv6 one without its last 80 bits; "-" for
    anything that is not an address."""
    try:
        parsed = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return "-"
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False).network_address)


def _truncate_ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return truncate_address(text)


def scrub(message: str) -> str:
    """``message`` without query strings and with every address truncated."""
    # Fast path: most messages hold neither a "?" nor anything address-like.
    if "?" in message:
        message = _QUERY.sub("?-", message)
    if "." in message:
        message = _IPV4.sub(lambda m: f"{m[1]}.{m[2]}.{m[3]}.0", message)
    if "::" in message or message.count(":") >= 3:
        message = _IPV6.sub(_truncate_ipv6, message)
    return message


def loggable_path(path: str, *, secrets: Mapping[str, object] = {}) -> str:
    """A request path fit for the access log: the values of ``secrets`` (a resolved route's
    secret parameters) replaced by their names; without a route, key-like segments hidden."""
    if secrets:
        for name, value in secrets.items():
            path = path.replace(str(value), f"<{name}>")
        return path
    return "/".join("<key>" if _KEY_LIKE.match(part) else part for part in path.split("/"))


class LogPathMiddleware:
    """Leaves the access log the request's path with its route's secrets named, not shown
    (``ROUTE_KEY`` in the WSGI environ, read by ``AccessLogger``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None:
            secrets = {k: v for k, v in match.kwargs.items() if k in SECRET_PARAMETERS}
            request.META[ROUTE_KEY] = loggable_path(request.path_info, secrets=secrets)
        return response


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "-"
    return f"{parts.scheme}://{parts.hostname}" if parts.scheme and parts.hostname else "-"


class AccessLogger(glogging.Logger):
    """gunicorn's logger, writing only what the data map declares for the access log (P5),
    to the terminal and, under ``BUNGU_LOG_DIR``, to one file a day."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.json = log_format() == "json"
        directory = os.environ.get(LOG_DIR_VARIABLE, "")
        if directory:
            for log, prefix, fmt in (
                (self.access_log, ACCESS_LOG_PREFIX, logging.Formatter(self.access_fmt)),
                (
                    self.error_log,
                    APPLICATION_LOG_PREFIX,
                    logging.Formatter(self.error_fmt, self.datefmt),
                ),
            ):
                handler = DailyFileHandler(Path(directory), prefix=prefix)
                handler.setFormatter(fmt)
                # gunicorn removes its own handlers on a configuration reload.
                handler._gunicorn = True  # type: ignore[attr-defined]
                log.addHandler(handler)
        # gunicorn's own messages ("Invalid request from ip=...") are scrubbed too.
        for handler in self.error_log.handlers:
            handler.addFilter(ScrubFilter())
        for log in (self.access_log, self.error_log):
            for handler in log.handlers:
                handler.addFilter(RequestContextFilter())
                if self.json:
                    handler.setFormatter(JsonLogFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get("PATH_INFO") in QUIET_PATHS and str(resp.status).startswith("200"):
            return
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "request_id": environ.get(REQUEST_ID_KEY) or "-",
            "client": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "referrer": atoms["f"],
            "user_agent": atoms["a"],
            "duration_ms": round(int(atoms["D"]) / 1000, 3),
        }
        self.access_log.info(atoms["r"], extra=fields)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:  # type: ignore[type-arg]
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = environ.get(ROUTE_KEY) or loggable_path(environ.get("PATH_INFO") or "/")
        # Nothing else: no query string, no headers ({x-forwarded-for}i), no environ.
        return {
            "h": truncate_address(environ.get("REMOTE_ADDR", "")),
            "t": atoms["t"],
            "r": f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL')}",
            "m": atoms["m"],
            "U": path,
            "s": atoms["s"],
            "b": atoms["b"],
            "B": atoms["B"],
            "f": _origin(environ.get("HTTP_REFERER", "")),
            "a": atoms["a"],
            "M": atoms["M"],
            "T": atoms["T"],
            "D": atoms["D"],
            "L": atoms["L"],
            "p": atoms["p"],
        }


class ScrubFilter(logging.Filter):
    """Rewrites a record's message and traceback without query strings and with addresses
    truncated (P5). Cheap when there is nothing to rewrite."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def log_format() -> str:
    """``BUNGU_LOG_FORMAT``: ``text`` (the default) or ``json``. Raises ValueError otherwise."""
    chosen = os.environ.get(LOG_FORMAT_VARIABLE, "").strip().lower() or "text"
    if chosen not in LOG_FORMATS:
        raise ValueError(f"{LOG_FORMAT_VARIABLE} must be text or json, not {chosen!r}")
    return chosen


# What a JSON line may hold: the common fields, then the access log's. Anything else a caller
# passes in ``extra`` (Django's ``request`` object, whose text holds the query string) is left
# out, so the JSON lines hold no more than the text ones (P5).
JSON_FIELDS = ("time", "level", "logger", "node", "request_id", "message", "exc_info")
ACCESS_FIELDS = (
    "client",
    "method",
    "path",
    "status",
    "bytes",
    "referrer",
    "user_agent",
    "duration_ms",
)
_ALLOWED_JSON_FIELDS = frozenset((*JSON_FIELDS, "stack_info", *ACCESS_FIELDS))


class JsonLogFormatter(JsonFormatter):
    """One JSON object a line with ``JSON_FIELDS`` (and an access record's ``ACCESS_FIELDS``);
    the traceback as ``ScrubFilter`` left it."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{node}{request_id}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_text:
            # The filter's scrubbed text, not a fresh (unscrubbed) rendering of the exception.
            exc_info, record.exc_info = record.exc_info, None
            try:
                return super().format(record)
            finally:
                record.exc_info = exc_info
        return super().format(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in log_data.items() if key in _ALLOWED_JSON_FIELDS}


class DailyFileHandler(logging.FileHandler):
    """Appends to ``<prefix>-<YYYY-MM-DD>.log`` for the local day of each record. Each process
    opens the day's file itself, so several may write one log without a rename race."""

    def __init__(self, directory: Path, *, prefix: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.prefix = directory, prefix
        self._day = date.today()  # noqa: DTZ011 - files are named by the local day
        self._next_day_at = _midnight_after(self._day)
        super().__init__(self._path(self._day), encoding="utf-8", delay=True)

    def _path(self, day: date) -> str:
        return str(self.directory / f"{self.prefix}-{day.isoformat()}.log")

    def emit(self, record: logging.LogRecord) -> None:
        if record.created >= self._next_day_at:
            day = date.fromtimestamp(record.created)  # noqa: DTZ012 - the local day, as above
            self.acquire()
            try:
                if self.stream is not None:
                    self.stream.close()
                    self.stream = None  # type: ignore[assignment]
                self.baseFilename = self._path(day)
                self._day, self._next_day_at = day, _midnight_after(day)
            finally:
                self.release()
        super().emit(record)


def _midnight_after(day: date) -> float:
    return time.mktime((datetime.combine(day, datetime.min.time()) + timedelta(days=1)).timetuple())
