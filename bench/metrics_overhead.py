"""The CPU each request spends in the operations middleware: counting and timing it for
Prometheus (``RequestMetricsMiddleware``, in multiprocess mode as under gunicorn) and giving
it an id (``RequestIdMiddleware``), against a middleware that only passes the request on.

    .venv/bin/python bench/metrics_overhead.py [--requests 200000]

CPU time of this process (``time.process_time``), so other load on the machine counts little;
prints microseconds per request, to set beside a cached page's ~1 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
# As gunicorn_conf does: before prometheus_client is first imported.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bungu-metrics-bench-")
os.environ.setdefault("BUNGU_VAR_DIR", tempfile.mkdtemp(prefix="bungu-metrics-bench-var-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")

import django  # noqa: E402 - after the environment above

django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from bungu.operations.metrics import RequestMetricsMiddleware  # noqa: E402
from bungu.operations.request_ids import RequestIdMiddleware  # noqa: E402


class PassOn:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


def cpu_per_request(middleware: Callable[[HttpRequest], HttpResponse], n: int) -> float:
    request = RequestFactory().get("/p/a-pen/")
    request.resolver_match = resolve("/p/a-pen/")
    started = time.process_time()
    for _ in range(n):
        middleware(request)
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    n = parser.parse_args().requests
    response = HttpResponse("page")

    def view(request: HttpRequest) -> HttpResponse:
        return response

    rows = {
        "pass-on (baseline)": PassOn(view),
        "metrics": RequestMetricsMiddleware(view),
        "request id": RequestIdMiddleware(view),
    }
    cpu = {name: cpu_per_request(m, n) for name, m in rows.items()}
    base = cpu["pass-on (baseline)"]
    print(f"{'middleware':<22}{'CPU µs/request':>16}{'added µs':>10}")
    for name, value in cpu.items():
        print(f"{name:<22}{value:>16.2f}{value - base:>10.2f}")


if __name__ == "__main__":
    main()
