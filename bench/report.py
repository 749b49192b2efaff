"""The targets each scenario must meet, the printed table, and the JSON record of a run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadgen import LoadResult


@dataclass(frozen=True)
class Target:
    """What a scenario must reach at the benchmark's concurrency; None means not judged."""

    min_ratio: float | None = None
    max_p99_ms: float | None = None
    max_queries: int | None = 8
    max_errors: int = 0
    # Server milliseconds of one uncached page (the probe's "cold ms").
    max_cold_ms: float | None = None


TARGETS: dict[str, Target] = {
    "baseline": Target(max_queries=None),
    "home": Target(),
    "category": Target(min_ratio=0.5, max_p99_ms=50, max_cold_ms=8),
    "brand": Target(min_ratio=0.5, max_p99_ms=50),
    "product": Target(min_ratio=0.5, max_p99_ms=50, max_cold_ms=8),
    "search": Target(min_ratio=0.25, max_p99_ms=200, max_cold_ms=8),
    # The bare page with a signed-in customer's session cookie: what signing in costs alone.
    "bare-signed-in": Target(max_queries=None),
    # A signed-in customer over home, category, brand, product and search pages. Its ratio is
    # to the anonymous bare page, like every other; its queries are the tests' business
    # (the session and allauth's session record come on top of the page's).
    "signed-in": Target(min_ratio=0.25, max_p99_ms=50, max_queries=None),
    # Anonymous visitors over the category and product pages while a stock change that
    # shows (a SKU sells out or comes back) is made once a second.
    "churn": Target(min_ratio=0.25, max_p99_ms=50),
}


@dataclass
class ScenarioResult:
    name: str
    urls: int
    # From loading each page once on an empty cache in a separate process.
    max_queries: int
    # Median time of one uncached page in a quiet process, and its median size.
    cold_ms: float
    page_kb: float
    probe_failures: list[str]
    load: LoadResult | None
    ratio: float | None = None
    # CPU milliseconds the shop's gunicorn (master and workers) spent per measured request;
    # the figure that stays honest on a shared machine.
    cpu_ms_per_request: float | None = None
    # Catalogue changes made during the measured seconds (the churn scenario).
    changes: int | None = None
    failures: list[str] = field(default_factory=list)
    # CPU milliseconds per measured request of each part (the cluster: nodes, nginx,
    # PostgreSQL, Redis ...); empty for the single server.
    cpu_ms_by_part: dict[str, float] = field(default_factory=dict)

    def judge(self, *, baseline_rps: float | None, speed: bool = True) -> None:
        """Fill in the ratio to the baseline and the list of targets missed (without
        ``speed``, errors and pages that failed only: the cluster's correctness)."""
        target = TARGETS[self.name] if speed else Target(max_queries=None)
        self.failures = []
        if self.probe_failures:
            self.failures.append(
                f"{len(self.probe_failures)} of the pages counted not 2xx,"
                f" e.g. {self.probe_failures[0]}"
            )
        if target.max_queries is not None and self.max_queries > target.max_queries:
            self.failures.append(f"{self.max_queries} queries > {target.max_queries}")
        if target.max_cold_ms is not None and self.cold_ms > target.max_cold_ms:
            self.failures.append(f"cold {self.cold_ms:.1f} ms > {target.max_cold_ms:g}")
        if self.load is None:
            self.failures.append("not loaded")
            return
        if baseline_rps:
            self.ratio = self.load.rps / baseline_rps
        if target.min_ratio is not None and (self.ratio or 0) < target.min_ratio:
            self.failures.append(f"rps < {target.min_ratio}x baseline")
        if target.max_p99_ms is not None and self.load.p99_ms > target.max_p99_ms:
            self.failures.append(f"p99 > {target.max_p99_ms:g} ms")
        if self.load.errors > target.max_errors:
            self.failures.append(f"{self.load.errors} errors")


def _with_target(value: str, bound: str | None) -> str:
    return f"{value} ({bound})" if bound else value


def _cached_share(load: LoadResult | None) -> str:
    if load is None or not load.cache_hits + load.cache_misses:
        return "-"
    return f"{100 * load.cache_hits / (load.cache_hits + load.cache_misses):.0f}%"


def format_table(results: list[ScenarioResult], *, targets: bool = True) -> str:
    """The run's table; ``targets`` shows each bound beside its figure."""
    headers = [
        "scenario",
        "urls",
        "req/s",
        "x base",
        "p50 ms",
        "p99 ms",
        "errors",
        "queries",
        "cold ms",
        "cpu ms/req",
        "KB",
        "cached",
        "result",
    ]
    rows = []
    for result in results:
        target = TARGETS[result.name] if targets else Target(max_queries=None)
        load = result.load
        ratio_bound = f">={target.min_ratio:g}" if target.min_ratio is not None else None
        p99_bound = f"<={target.max_p99_ms:g}" if target.max_p99_ms is not None else None
        queries_bound = f"<={target.max_queries}" if target.max_queries is not None else None
        rows.append(
            [
                result.name,
                str(result.urls),
                f"{load.rps:.0f}" if load else "-",
                _with_target(f"{result.ratio:.2f}" if result.ratio else "-", ratio_bound),
                f"{load.p50_ms:.1f}" if load else "-",
                _with_target(f"{load.p99_ms:.1f}" if load else "-", p99_bound),
                str(load.errors) if load else "-",
                _with_target(str(result.max_queries), queries_bound),
                _with_target(
                    f"{result.cold_ms:.1f}",
                    f"<={target.max_cold_ms:g}" if target.max_cold_ms is not None else None,
                ),
                f"{result.cpu_ms_per_request:.2f}" if result.cpu_ms_per_request else "-",
                f"{result.page_kb:.0f}",
                _cached_share(load),
                "PASS" if not result.failures else "FAIL: " + "; ".join(result.failures),
            ]
        )
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers) - 1)]
    lines = []
    for row in [headers, *rows]:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def scenarios_json(results: list[ScenarioResult]) -> list[dict[str, Any]]:
    """The scenarios' results as JSON-ready dictionaries."""
    return [
        {
            **asdict(result),
            "rps": result.load.rps if result.load else None,
            "errors": result.load.errors if result.load else None,
            "passed": not result.failures,
        }
        for result in results
    ]


def write_json(
    results: list[ScenarioResult],
    *,
    meta: dict[str, Any],
    directory: Path,
) -> tuple[Path, Path]:
    """Write the run as ``<UTC timestamp>.json`` and ``latest.json``; return both paths."""
    document = {
        **meta,
        "targets": {name: asdict(target) for name, target in TARGETS.items()},
        "scenarios": scenarios_json(results),
    }
    return write_document(document, directory=directory)


def write_document(
    document: dict[str, Any], *, directory: Path, prefix: str = ""
) -> tuple[Path, Path]:
    """Write ``document`` as ``<prefix><UTC timestamp>.json`` and ``<prefix>latest.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2) + "\n"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    written = []
    for name in (f"{prefix}{stamp}.json", f"{prefix}latest.json"):
        # Written beside and renamed, so a reader never sees half a file.
        partial = directory / f"{name}.tmp"
        partial.write_text(text)
        partial.replace(directory / name)
        written.append(directory / name)
    return written[0], written[1]
