"""The shop's Prometheus metrics, declared once (prometheus_client).

Any app may count something here (the catalogue counts its page-cache hits and misses), so
this module sits below every app and imports none (an import-linter contract); the
operations app measures the requests and serves the numbers (``bungu metrics``).

Under gunicorn each worker is a process of its own: the gunicorn configuration
(``bungu.gunicorn_conf``) sets ``PROMETHEUS_MULTIPROC_DIR`` before a worker first imports
this module, so each worker writes its values to files there and ``bungu metrics`` adds them
up. Without it (tests, management commands) the values stay in the process.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "bungu_http_requests",
    "Requests the shop answered, by view (the URL pattern's name) and status.",
    ["view", "status"],
)
REQUEST_SECONDS = Histogram(
    "bungu_http_request_duration_seconds",
    "Time from the first middleware to the response, by view.",
    ["view"],
    # A cached page takes about a millisecond; a checkout step may take a second.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAGE_CACHE = Counter(
    "bungu_page_cache_lookups",
    "Catalogue pages asked of the page cache, by result (hit or miss).",
    ["result"],
)
# Bound once: a hit then costs one increment, no label lookup.
PAGE_CACHE_HIT = PAGE_CACHE.labels(result="hit")
PAGE_CACHE_MISS = PAGE_CACHE.labels(result="miss")
