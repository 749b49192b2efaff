"""Drive the page scenarios with ``wrk``: prime each scenario's pages, warm up, measure, and
count the CPU the servers spent; the churn scenario's stock changes run beside.

Used by ``run.py`` against one gunicorn over plain HTTP, and by ``cluster_bench.py`` against
the cluster's nginx over TLS: a ``Front`` says where the load goes and whose CPU it costs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import ssl
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from checkout_scenario import cpu_seconds
from loadgen import LoadResult, run_wrk, write_script
from report import ScenarioResult

REPO = Path(__file__).resolve().parent.parent
# Scenarios whose requests carry the benchmark customer's session cookie.
SIGNED_IN = {"signed-in", "bare-signed-in"}
CHURN = "churn"


class BenchError(RuntimeError):
    """The run could not be carried out; the message says why."""


def probe_pages(
    args: argparse.Namespace,
    *,
    env: dict[str, str],
    workdir: Path,
    front_host: str | None = None,
) -> dict[str, Any]:
    """Run ``bench/probe.py`` under the shop's settings (``env``): the scenarios' URLs and
    the uncached pages' queries, time and size. ``front_host`` asks for the pages as the
    cluster's nginx passes them on. Raises BenchError when it fails."""
    out = workdir / "probe.json"
    print("Choosing URLs and counting queries on the uncached path...", flush=True)
    finished = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "probe.py"),
            "--out",
            str(out),
            "--products",
            str(args.products),
            "--seed",
            str(args.seed),
            *(["--front-host", front_host] if front_host else []),
        ],
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise BenchError(f"bench/probe.py failed:\n{finished.stderr[-3000:]}")
    probed: dict[str, Any] = json.loads(out.read_text())
    return probed


def git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{'+dirty' if dirty else ''}"


def scenario_result(name: str, probed: dict[str, Any]) -> ScenarioResult:
    counted = probed["counted"][name]
    return ScenarioResult(
        name=name,
        urls=len(probed["urls"][name]),
        max_queries=max((page["queries"] for page in counted), default=0),
        cold_ms=statistics.median([page["milliseconds"] for page in counted] or [0.0]),
        page_kb=statistics.median([page["bytes"] for page in counted] or [0]) / 1024,
        probe_failures=[
            f"{page['path']} -> {page['status']}"
            for page in counted
            if not 200 <= page["status"] < 300
        ],
        load=None,
    )


@dataclass(frozen=True)
class Front:
    """Where the load goes (``http://127.0.0.1:PORT`` or the cluster's ``https://...``), the
    TLS context that trusts it, and the processes whose CPU is counted, by name; the parts
    named in ``shop`` make the ``cpu ms/req`` column, every part its own line."""

    url: str
    parts: Mapping[str, int]
    shop: tuple[str, ...]
    tls: ssl.SSLContext | None = None
    # Extra lines of the run's table, filled in by the caller (none by default).
    notes: list[str] = field(default_factory=list)

    def connection(self) -> http.client.HTTPConnection:
        address = urlsplit(self.url)
        host, port = address.hostname or "127.0.0.1", address.port
        if address.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=30, context=self.tls)
        return http.client.HTTPConnection(host, port, timeout=30)


def prime(front: Front, paths: list[str]) -> None:
    """Ask for each page once, as a live shop's first visitors would, before measuring.

    The measured seconds then show the steady state of a shop whose pages have been seen;
    what a first visit costs is the "cold ms" column, and ``--no-page-cache`` loads it.
    """
    connection = front.connection()
    try:
        for path in dict.fromkeys(paths):
            connection.request("GET", path)
            connection.getresponse().read()
    finally:
        connection.close()


@contextmanager
def churning(
    args: argparse.Namespace, *, env: dict[str, str], probed: dict[str, Any], workdir: Path
) -> Iterator[list[int]]:
    """Change one SKU's stock a second (``bench/churn.py``) while the block runs; the list
    yielded holds the number of changes made once the block is over."""
    skus = workdir / "churn-skus.txt"
    skus.write_text("\n".join(str(sku) for sku in probed["churn_skus"]) + "\n")
    command = [
        sys.executable,
        str(REPO / "bench" / "churn.py"),
        "--skus",
        str(skus),
        "--seconds",
        str(args.warmup + args.duration + 30),
        "--seed",
        str(args.seed),
    ]
    made: list[int] = []
    churn = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield made
    finally:
        churn.terminate()
        try:
            out, err = churn.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            churn.kill()
            out, err = churn.communicate()
        if churn.returncode != 0 or not out.strip().isdigit():
            raise BenchError(f"bench/churn.py failed ({churn.returncode}):\n{err[-2000:]}")
        made.append(int(out.strip()))


def load_with_wrk(
    args: argparse.Namespace,
    *,
    wrk: str,
    front: Front,
    env: dict[str, str],
    results: list[ScenarioResult],
    probed: dict[str, Any],
    workdir: Path,
) -> None:
    """Prime and drive each page scenario with wrk, filling in its ``load`` and its CPU."""
    for result in results:
        if not result.urls:
            print(f"  {result.name}: no such pages in this catalogue", flush=True)
            continue
        with ExitStack() as during:
            made = (
                during.enter_context(churning(args, env=env, probed=probed, workdir=workdir))
                if result.name == CHURN
                else None
            )
            drive(args, wrk=wrk, front=front, result=result, probed=probed, workdir=workdir)
        if made:
            result.changes = made[0]


def drive(
    args: argparse.Namespace,
    *,
    wrk: str,
    front: Front,
    result: ScenarioResult,
    probed: dict[str, Any],
    workdir: Path,
) -> None:
    """Prime one scenario's pages, warm up, then measure it with wrk and the servers' CPU."""
    cookie = probed["session_cookie"] if result.name in SIGNED_IN else None
    script = write_script(probed["urls"][result.name], workdir, result.name, cookie=cookie)
    if args.prime:
        prime(front, probed["urls"][result.name])

    def load(seconds: int) -> LoadResult:
        return run_wrk(
            wrk=wrk,
            port=0,
            url=front.url + "/",
            script=script,
            seconds=seconds,
            connections=args.connections,
            threads=args.threads,
        )

    if args.warmup:
        load(args.warmup)
    print(f"  {result.name}: {args.duration} s ...", flush=True)
    before = {name: cpu_seconds(pid) for name, pid in front.parts.items()}
    result.load = load(args.duration)
    after = {name: cpu_seconds(pid) for name, pid in front.parts.items()}
    if not result.load.requests:
        return
    for name, used in after.items():
        start = before[name]
        if used is not None and start is not None:
            result.cpu_ms_by_part[name] = 1000 * (used - start) / result.load.requests
    if all(name in result.cpu_ms_by_part for name in front.shop):
        result.cpu_ms_per_request = sum(result.cpu_ms_by_part[name] for name in front.shop)
