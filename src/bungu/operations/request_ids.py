"""One id per request, on every log line the request causes, on every node.

``RequestIdMiddleware`` takes the id nginx sets (``X-Request-ID``, its ``$request_id``) when
a proxy of the shop's own stands in front (``BUNGU_TRUSTED_PROXIES``) and the value looks
like a token; otherwise, or when it looks like anything else, it makes one. The id goes back
in the response's ``X-Request-ID`` header, into the WSGI environ for gunicorn's access log,
and into a context variable that ``RequestContextFilter`` puts on each log record, with the
node's name (``BUNGU_NODE_NAME``, the host name by default).

Imported by the logging configuration and by gunicorn's logger before Django's apps are
ready: it imports no model and no other app.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"
# The WSGI environ key the id is left under, for the access log written after the response.
REQUEST_ID_KEY = "bungu.request_id"
NODE_NAME_VARIABLE = "BUNGU_NODE_NAME"
NO_REQUEST = "-"
# nginx's $request_id is 32 hex digits; a UUID with dashes is 36. Nothing that could break a
# log line or pass for something else.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$")

current_request_id: ContextVar[str] = ContextVar("bungu_request_id", default=NO_REQUEST)


def node_name() -> str:
    """This node's name in the logs: ``BUNGU_NODE_NAME``, else the host name."""
    return os.environ.get(NODE_NAME_VARIABLE, "").strip() or socket.gethostname()


def choose_request_id(incoming: str | None) -> str:
    """``incoming`` when it looks like a safe token, else a new random id."""
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return secrets.token_hex(16)  # 32 hex digits, like nginx's own


class RequestIdMiddleware:
    """Gives each request its id (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Without a proxy of ours in front, the header is the visitor's word: not taken.
        incoming = request.META.get("HTTP_X_REQUEST_ID") if settings.BUNGU_TRUSTED_PROXIES else None
        request_id = choose_request_id(incoming)
        request.META[REQUEST_ID_KEY] = request_id
        # Kept until the response is closed (``request_finished``), not only while the
        # middleware runs: Django logs a 4xx or 5xx after the last middleware returned.
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _forget_request_id(**kwargs: Any) -> None:
    current_request_id.set(NO_REQUEST)


request_finished.connect(_forget_request_id, dispatch_uid="bungu.operations.request_ids")


class RequestContextFilter(logging.Filter):
    """Puts ``request_id`` (``-`` outside a request) and ``node`` on every record, unless
    the record brought its own (the access log's, written after the request)."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.node = node_name()

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        record.node = self.node
        return True
