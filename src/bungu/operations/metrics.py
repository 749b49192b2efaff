"""Prometheus metrics: measured in the web workers, served apart from the shop.

``RequestMetricsMiddleware`` counts each request by view and status and times it
(``bungu.metrics``). ``bungu metrics`` serves the numbers of every worker of this node
(prometheus_client's multiprocess files under ``BUNGU_VAR_DIR/metrics``) with the task
engine's queue depth and failed tasks, read when scraped, on ``BUNGU_METRICS_ADDRESS``: a
listener of its own, never a page of the shop. Only a loopback or private address is
accepted, so no proxy rule, forwarded header or Host can make the numbers public: the
shop's own port has no ``/metrics`` at all.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import redis
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponseBase
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from bungu import metrics
from bungu.operations.task_engine import count_tasks

logger = logging.getLogger(__name__)
UNRESOLVED = "<unresolved>"
OFF = "off"


class RequestMetricsMiddleware:
    """Counts and times every request that reaches the shop (the health probes, answered
    before it, are not counted)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # The pattern's name, never the path: a label per URL would grow without end.
        view = match.view_name if match is not None else UNRESOLVED
        key = (view, response.status_code)
        try:
            counter, timer = _children[key]
        except KeyError:
            # Bound once per view and status (a few hundred at most): labels() takes a lock.
            counter = metrics.REQUESTS.labels(view, str(response.status_code))
            timer = metrics.REQUEST_SECONDS.labels(view)
            _children[key] = counter, timer
        counter.inc()
        timer.observe(time.perf_counter() - started)
        return response


_children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}


class TaskCollector(Collector):
    """The task engine's queue depth and failed tasks, read from it at each scrape."""

    def collect(self) -> Iterator[Metric]:
        # A scrape comes every few seconds at most: a connection of its own each time costs
        # little, and none is left open between scrapes (nor in the thread that served one).
        try:
            counts = count_tasks()
        except (DatabaseError, redis.RedisError):
            logger.warning("metrics: the task engine could not be read", exc_info=True)
            return
        finally:
            connections.close_all()
        depth = GaugeMetricFamily(
            "bungu_task_queue_depth", "Tasks waiting to run, by queue.", labels=["queue"]
        )
        queues = dict.fromkeys(settings.TASKS["default"].get("QUEUES", ["default"]), 0)
        for queue, ready in sorted((queues | counts.ready_by_queue).items()):
            depth.add_metric([queue], ready)
        yield depth
        yield GaugeMetricFamily(
            "bungu_tasks_failed", "Failed tasks the task engine keeps.", value=counts.failed
        )


def metrics_registry(directory: Path) -> CollectorRegistry:
    """Every worker's numbers from ``directory`` and the task engine's, for one scrape."""
    directory.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    # prometheus_client leaves this constructor unannotated.
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    registry.register(TaskCollector())
    return registry


def parse_metrics_address(text: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) to listen on; the host must be a loopback or private
    address. Raises ValueError, saying why, for anything else."""
    host, separator, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not separator or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"metrics address {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8002")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"metrics address {text!r}: the host must be an IP address (a name could resolve "
            "to a public one)"
        ) from None
    if address.is_unspecified or address.is_global or address.is_multicast:
        raise ValueError(
            f"metrics address {text!r}: listen on a loopback or private address only, never "
            "on every interface or a public one (the numbers describe the shop's traffic)"
        )
    return str(address), int(port_text)


class _WSGIServerV6(WSGIServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        logger.debug("metrics: " + format, *args)


def make_metrics_server(host: str, port: int, registry: CollectorRegistry) -> WSGIServer:
    """A one-thread HTTP server of ``registry`` (one scrape at a time, one database
    connection)."""
    server_class = _WSGIServerV6 if ":" in host else WSGIServer
    return make_server(
        host, port, make_wsgi_app(registry), server_class=server_class, handler_class=_QuietHandler
    )
