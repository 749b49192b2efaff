"""The cluster benchmark's bare baseline: the cheapest answer a Python server can give.

``make bench BENCH_ARGS=--cluster`` serves it with gunicorn beside each shop node (the same
sync workers) and routes ``/__bench__/bare/`` to it through the same nginx, over the same
TLS, as the shop's pages. The production profile refuses the shop's own bare page
(``BUNGU_BENCH_BASELINE``), so the ratio beside this one is the shop's whole cost: Django,
its middleware and the page, against TLS, nginx, gunicorn and a WSGI call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"ok"


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    """Answer every request with 200 "ok"."""
    start_response(
        "200 OK",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))],
    )
    return [BODY]
