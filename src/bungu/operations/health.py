"""``/healthz`` and ``/readyz``: what the load balancer asks each node.

* ``/healthz``: the process is up and answers. It touches no database, no cache and no
  session, sets no cookie, and is never cached.
* ``/readyz``: the parts a request needs answer: every configured database (``default``, and
  ``replica`` where the cluster profile adds one), the cache (a probe key set and read
  back) and the task engine (``task_engine.tasks_engine_ready``). 200 with each part's state
  as JSON, or 503 naming the part that failed and why.

Both are answered by ``HealthMiddleware``, first of all middleware, so no other middleware
runs for them: no session, no CSRF cookie, no page cache, no HTTPS redirect (the balancer
asks the node over plain HTTP), and no check of the Host header: a balancer asks a node by
its own address, which is none of the shop's names, and neither answer is built from the
Host, so there is nothing to poison. The reasons ``/readyz`` gives are an exception's class
and a few fixed words, never a driver's message (which names hosts and users); the message
itself goes to the application log.

Each check runs in a thread of its own and is waited for at most ``BUNGU_READYZ_TIMEOUT``
seconds, so a hung dependency answers 503 quickly instead of hanging the request. A check
that is still hanging from an earlier request is not started again (at most one thread per
part and process), and the part stays failed until it answers.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from bungu.operations.task_engine import tasks_engine_ready

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
PROBE_PATHS = frozenset({HEALTH_PATH, READY_PATH})
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one check found: ``detail`` is shown, ``logged`` (the full error) only logged."""

    ok: bool
    detail: str
    logged: str = ""


Check = Callable[[], Outcome]


@dataclass(frozen=True)
class PartState:
    name: str
    ok: bool
    detail: str


def check_database(alias: str) -> Check:
    """A check that the database ``alias`` takes a new connection and answers a query."""

    def check() -> Outcome:
        # A connection of the probe's own, apart from the ones requests use: a fresh one
        # each time proves the node can still open one, and it is closed at once.
        settings_dict = connections.settings[alias]
        probe = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
            settings_dict, alias=f"readyz:{alias}"
        )
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            probe.close()
        return Outcome(ok=True, detail="answers")

    return check


def check_cache() -> Outcome:
    """The default cache stores a probe value and gives it back."""
    cache = caches["default"]
    key, value = f"bungu:readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, value, 30)
        read = cache.get(key)
        cache.delete(key)
    finally:
        cache.close()
    if read != value:
        return Outcome(ok=False, detail="probe value not read back")
    return Outcome(ok=True, detail="probe value read back")


def check_task_engine() -> Outcome:
    try:
        ready, detail = tasks_engine_ready()
    finally:
        connections.close_all()
    return Outcome(ok=ready, detail=detail)


def readiness_checks() -> dict[str, Check]:
    """Every part ``/readyz`` asks, by the name it shows."""
    parts: dict[str, Check] = {}
    for alias in connections:  # the aliases of settings.DATABASES
        parts["database" if alias == "default" else f"database:{alias}"] = check_database(alias)
    parts["cache"] = check_cache
    parts["tasks"] = check_task_engine
    return parts


_in_flight: dict[str, Future[Outcome]] = {}
_in_flight_lock = threading.Lock()


def _start(name: str, check: Check) -> Future[Outcome]:
    future: Future[Outcome] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            outcome = check()
        except Exception as error:  # a failing dependency is an answer, not a crash
            outcome = Outcome(ok=False, detail=type(error).__name__, logged=str(error))
        future.set_result(outcome)

    # A daemon thread: one that hangs on a dead dependency never holds up the worker's exit.
    threading.Thread(target=run, name=f"readyz-{name}", daemon=True).start()
    return future


def check_parts(checks: dict[str, Check], *, timeout: float) -> list[PartState]:
    """Run ``checks`` at once, each in its own thread, waiting ``timeout`` seconds in all."""
    with _in_flight_lock:
        futures: dict[str, Future[Outcome] | None] = {}
        for name, check in checks.items():
            previous = _in_flight.get(name)
            if previous is not None and not previous.done():
                futures[name] = None
            else:
                futures[name] = _in_flight[name] = _start(name, check)
    deadline = time.monotonic() + timeout
    states = []
    for name, future in futures.items():
        if future is None:
            outcome = Outcome(ok=False, detail="an earlier check has not answered yet")
        else:
            try:
                outcome = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                outcome = Outcome(ok=False, detail=f"no answer within {timeout:g} s")
        if not outcome.ok:
            logger.warning("readiness: %s failed: %s %s", name, outcome.detail, outcome.logged)
        states.append(PartState(name=name, ok=outcome.ok, detail=outcome.detail))
    return states


def _probe_response(content: str, *, status: int, content_type: str) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type=content_type)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def readiness_response() -> HttpResponse:
    states = check_parts(readiness_checks(), timeout=settings.BUNGU_READYZ_TIMEOUT)
    ready = all(state.ok for state in states)
    body = {
        "status": "ready" if ready else "not ready",
        "node": settings.BUNGU_NODE_NAME,
        "parts": {s.name: {"ok": s.ok, "detail": s.detail} for s in states},
    }
    return _probe_response(
        json.dumps(body), status=200 if ready else 503, content_type="application/json"
    )


class HealthMiddleware:
    """Answers ``/healthz`` and ``/readyz`` before any other middleware runs (first in
    ``MIDDLEWARE``); every other request passes through untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if path not in PROBE_PATHS:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response = _probe_response("GET or HEAD only\n", status=405, content_type="text/plain")
            response["Allow"] = "GET, HEAD"
            return response
        if path == HEALTH_PATH:
            return _probe_response("ok", status=200, content_type="text/plain")
        return readiness_response()
