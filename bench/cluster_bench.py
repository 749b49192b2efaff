"""``make bench BENCH_ARGS=--cluster``: the page scenarios and the checkout through the
cluster's nginx over TLS, beside a bare baseline behind the same nginx, at one or more
numbers of nodes.

One run: a trivial WSGI server (``bare_app.py``) per shop node, with the nodes' gunicorn
workers; the cluster (``cluster/``: PostgreSQL primary and standby, Redis, three nodes,
nginx with TLS, workers, the sandbox processor) on a fresh catalogue of ``--skus`` SKUs, with
``/__bench__/bare/`` routed by nginx to the bare servers; the probe; then, for each count
of ``--cluster-nodes`` (3 then 1), nginx routed to that many nodes and as many bare servers,
the page scenarios with ``wrk`` over https and the checkout's buyers over https. Every part
is stopped on every way out (Ctrl-C, SIGTERM, an error); the run directory
``var/bench/cluster-skus-<N>/`` keeps the parts' logs until the next run.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django
from checkout_scenario import CheckoutReport, format_checkout_table, run_checkout
from loadgen import find_wrk
from page_load import BenchError, Front, git_revision, load_with_wrk, probe_pages, scenario_result
from processes import running
from report import TARGETS, ScenarioResult, format_table, scenarios_json, write_document

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # The supervisor is a package at the repository's top, beside bench/.
    sys.path.append(str(REPO))

from cluster import Cluster  # noqa: E402
from cluster.processes import HOST, ClusterError, free_port  # noqa: E402
from cluster.topology import GUNICORN_WORKERS, NODE_NAMES  # noqa: E402

__all__ = ["GUNICORN_WORKERS", "ClusterError", "parse_node_counts", "run_cluster"]

RESULTS = REPO / "bench" / "results"
BARE_PATH = "/__bench__/bare/"
CHECKOUT = "checkout"
# The shop's bare page with a session cookie has no meaning here: the bare server is no shop.
SCENARIOS = [name for name in TARGETS if name != "bare-signed-in"]
# How the parts' CPU is summed up in the table below the scenarios.
PART_GROUPS = {
    "node-": "nodes",
    "bare-": "bare",
    "nginx": "nginx",
    "postgres-": "postgres",
    "redis": "redis",
    "worker-": "workers",
    "cardsandbox": "processor",
    "buyers": "buyers",
}


def parse_node_counts(text: str) -> list[int]:
    """``"3,1"`` -> ``[3, 1]``: how many nodes nginx sends the load to, in turn. Raises
    argparse.ArgumentTypeError with the reason."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give numbers of nodes separated by commas, e.g. 3,1"
        ) from None
    if not counts:
        raise argparse.ArgumentTypeError("give at least one number of nodes, e.g. 3")
    bad = [count for count in counts if not 1 <= count <= len(NODE_NAMES)]
    if bad:
        raise argparse.ArgumentTypeError(
            f"the cluster has {len(NODE_NAMES)} nodes: {', '.join(map(str, bad))} is out of range"
        )
    if len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"{text!r}: each number of nodes once")
    return counts


# ---------------------------------------------------------------- the bare servers
def _bare_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait_for_bare(server: subprocess.Popen[bytes], *, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"the bare server exited with {server.returncode}; see {log}")
        if _bare_answers(port):
            return
        time.sleep(0.2)
    raise BenchError(f"the bare server did not answer within 60 s; see {log}")


@contextmanager
def bare_servers(count: int, *, log_dir: Path) -> Iterator[list[tuple[int, int]]]:
    """``count`` gunicorns serving ``bare_app`` with a node's workers, until the block ends
    however it ends; yields their (port, pid)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DJANGO_")) and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    servers: list[tuple[int, int]] = []
    with ExitStack() as stack:
        for index in range(count):
            port, log = free_port(), log_dir / f"bare-{index}.log"
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "bare_app:application",
                "--pythonpath",
                str(REPO / "bench"),
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ]
            pid = stack.enter_context(
                running(
                    command,
                    env=env,
                    log=log,
                    wait_until_ready=functools.partial(_wait_for_bare, port=port, log=log),
                )
            )
            servers.append((port, pid))
        yield servers


# ---------------------------------------------------------------- one count of nodes
@dataclass
class NodesRun:
    """What one number of nodes behind nginx measured."""

    nodes: int
    results: list[ScenarioResult]
    checkout: CheckoutReport | None = None
    # Requests nginx sent to each upstream (node or bare server) and its 5xx answers, read
    # from its access log over the whole phase.
    upstreams: dict[str, int] = field(default_factory=dict)
    front_5xx: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes,
            "scenarios": scenarios_json(self.results),
            "checkout": self.checkout.as_json() if self.checkout else None,
            "upstreams": self.upstreams,
            "front_5xx": self.front_5xx,
        }

    @property
    def failures(self) -> list[str]:
        found = [f"{r.name}: {'; '.join(r.failures)}" for r in self.results if r.failures]
        if self.checkout is not None and self.checkout.failures:
            found.append(f"checkout: {'; '.join(self.checkout.failures)}")
        if self.front_5xx:
            found.append(f"{self.front_5xx} answers 5xx at the front")
        return found


def _read_access_log(log: Path, offset: int, names: dict[str, str]) -> tuple[dict[str, int], int]:
    """Requests per upstream and the 5xx count in nginx's log after ``offset`` (its format:
    time, request id, status, method, path, upstream address, seconds)."""
    per_upstream: Counter[str] = Counter()
    errors = 0
    with log.open(errors="replace") as lines:
        lines.seek(offset)
        for line in lines:
            fields = line.split()
            if len(fields) < 6:
                continue
            if fields[2].startswith("5"):
                errors += 1
            # A retried request lists every upstream it tried; the last one answered.
            address = fields[-2].split(",")[-1].strip()
            per_upstream[names.get(address, address)] += 1
    return dict(per_upstream), errors


def _parts(cluster: Cluster, bare: list[tuple[int, int]]) -> dict[str, int]:
    """Every process whose CPU a request or an order may cost, by name."""
    parts = {name: part.pid for name, part in cluster.parts.items()}
    parts.update({f"bare-{index}": pid for index, (_port, pid) in enumerate(bare)})
    return parts


def _run_nodes(
    args: argparse.Namespace,
    *,
    count: int,
    cluster: Cluster,
    bare: list[tuple[int, int]],
    wrk: str,
    probed: dict[str, Any],
    chosen: list[str],
    checkout: bool,
    workdir: Path,
) -> NodesRun:
    names = list(NODE_NAMES[:count])
    routed_bare = bare[:count]
    cluster.route_front(names, extra_routes={BARE_PATH: [port for port, _pid in routed_bare]})
    print(
        f"\n{count} node{'s' if count > 1 else ''} behind nginx"
        f" ({', '.join(names)}; {count} bare server{'s' if count > 1 else ''}):",
        flush=True,
    )
    access_log = cluster.run_dir / "front" / "access.log"
    offset = access_log.stat().st_size if access_log.exists() else 0
    env = cluster.shop_env(cluster.run_dir / "setup")
    tls = cluster.tls_context()
    run = NodesRun(nodes=count, results=[scenario_result(name, probed) for name in chosen])
    front = Front(
        url=cluster.url,
        tls=tls,
        parts=_parts(cluster, bare),
        # The servers behind nginx: the shop's pages cost the nodes, the baseline the bare.
        shop=(*(f"node-{name}" for name in names), *(f"bare-{i}" for i in range(count))),
    )
    load_with_wrk(
        args, wrk=wrk, front=front, env=env, results=run.results, probed=probed, workdir=workdir
    )
    if checkout:
        run.checkout = run_checkout(
            shop_port=cluster.https_port,
            shop_url=cluster.url,
            verify=tls,
            # The bare servers serve only the checkout-bare phase, whose CPU is not read.
            pids={
                **{name: pid for name, pid in front.parts.items() if not name.startswith("bare-")},
                "buyers": os.getpid(),
            },
            env=env,
            workdir=workdir,
            buyers=args.buyers,
            seconds=args.duration,
            scarce_units=args.scarce_units,
            bare_path=BARE_PATH,
            judge_rate=False,
        )
    upstream_names = {f"{HOST}:{cluster.node(name).port}": f"node-{name}" for name in NODE_NAMES}
    upstream_names.update({f"{HOST}:{port}": f"bare-{i}" for i, (port, _pid) in enumerate(bare)})
    if access_log.exists():
        run.upstreams, run.front_5xx = _read_access_log(access_log, offset, upstream_names)
    baseline = run.results[0].load
    for result in run.results:
        result.judge(baseline_rps=baseline.rps if baseline else None, speed=False)
    return run


# ---------------------------------------------------------------- the tables
def _grouped(by_part: dict[str, float]) -> dict[str, float]:
    groups: dict[str, float] = {}
    for name, value in by_part.items():
        group = next((g for prefix, g in PART_GROUPS.items() if name.startswith(prefix)), name)
        groups[group] = groups.get(group, 0.0) + value
    return groups


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def format_cpu_table(results: list[ScenarioResult]) -> str:
    """CPU milliseconds per request of each kind of part, per scenario."""
    groups = [g for g in dict.fromkeys(PART_GROUPS.values()) if g != "buyers"]
    seen = [g for g in groups if any(_grouped(r.cpu_ms_by_part).get(g) for r in results)]
    rows = [["cpu ms/req", *seen, "all"]]
    for result in results:
        if not result.cpu_ms_by_part:
            continue
        grouped = _grouped(result.cpu_ms_by_part)
        rows.append(
            [
                result.name,
                *(f"{grouped.get(g, 0.0):.2f}" for g in seen),
                f"{sum(grouped.values()):.2f}",
            ]
        )
    return _columns(rows)


def format_growth_table(runs: list[NodesRun]) -> str:
    """Each scenario at each number of nodes: rate, ratio to the same run's bare, and the CPU
    of every part per request (per order for the checkout)."""
    header = ["scenario"]
    for run in runs:
        label = f"{run.nodes}n"
        header += [f"{label} req/s", f"{label} x bare", f"{label} cpu ms"]
    rows = [header]
    for index, result in enumerate(runs[0].results):
        row = [result.name]
        for run in runs:
            same = run.results[index]
            row += [
                f"{same.load.rps:.0f}" if same.load else "-",
                f"{same.ratio:.2f}" if same.ratio else "-",
                f"{sum(same.cpu_ms_by_part.values()):.2f}" if same.cpu_ms_by_part else "-",
            ]
        rows.append(row)
    if all(run.checkout is not None and run.checkout.measured for run in runs):
        row = ["checkout (orders)"]
        for run in runs:
            report = run.checkout
            assert report is not None  # noqa: S101 - checked above
            assert report.measured is not None  # noqa: S101 - checked above
            spent = {k: v for k, v in report.cpu_ms_per_order.items() if k != "buyers"}
            row += [
                f"{report.measured.per_second:.1f}",
                f"{report.ratio:.2f}" if report.ratio else "-",
                f"{sum(spent.values()):.0f}" if spent else "-",
            ]
        rows.append(row)
    return _columns(rows)


def _print_run(run: NodesRun) -> None:
    print(f"\n== {run.nodes} node{'s' if run.nodes > 1 else ''} behind nginx (TLS) ==\n")
    print(format_table(run.results, targets=False))
    for result in run.results:
        if result.changes is not None:
            print(f"{result.name}: {result.changes} stock changes that show, one a second")
    print()
    print(format_cpu_table(run.results))
    shares = ", ".join(f"{name} {n}" for name, n in sorted(run.upstreams.items()))
    print(f"\nRequests by upstream (nginx's log): {shares or '-'}")
    print(f"5xx answers at the front: {run.front_5xx}")
    if run.checkout is not None:
        print()
        print(format_checkout_table(run.checkout, targets=False))


# ---------------------------------------------------------------- the command
def _ignore_signals() -> None:
    # A second Ctrl-C while the parts stop would leave some running.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _drop_databases(run_dir: Path) -> None:
    """PostgreSQL's data directories weigh a hundred MB or more; the logs beside them stay."""
    for data in run_dir.glob("pg-*/data"):
        shutil.rmtree(data, ignore_errors=True)


def run_cluster(args: argparse.Namespace) -> int:
    """The whole cluster run; returns the exit status (1 with ``--check`` when something is
    wrong: errors, a 5xx, oversold units, orphans, the race). Raises BenchError or
    ClusterError when it cannot be carried out."""
    wrk = find_wrk()
    counts: list[int] = args.cluster_nodes
    chosen = [
        "baseline",
        *(s for s in SCENARIOS if s != "baseline" and s in (args.only or SCENARIOS)),
    ]
    checkout = CHECKOUT in (args.only or [CHECKOUT])
    run_dir = REPO / "var" / "bench" / f"cluster-skus-{args.skus}"
    shutil.rmtree(run_dir, ignore_errors=True)
    meta: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": git_revision(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": "postgresql (primary + standby)",
        "profile": "cluster",
        "front": "nginx, TLS",
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "page_cache": not args.no_page_cache,
        "baseline": "bench/bare_app.py under gunicorn, one per node, behind the same nginx",
        "options": {
            key: getattr(args, key)
            for key in (
                "skus",
                "seed",
                "duration",
                "warmup",
                "prime",
                "connections",
                "threads",
                "buyers",
                "scarce_units",
                "cluster_nodes",
            )
        },
    }
    runs: list[NodesRun] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bungu-bench-") as scratch, ExitStack() as stack:
        workdir = Path(scratch)
        bare = stack.enter_context(bare_servers(len(NODE_NAMES), log_dir=run_dir / "bare"))
        cluster = Cluster(
            run_dir=run_dir,
            say=lambda line: print(f"cluster: {line}", flush=True),
            extra_env={"BUNGU_PAGE_CACHE_SECONDS": "0"} if args.no_page_cache else None,
            catalogue_skus=args.skus,
            catalogue_seed=args.seed,
            extra_routes={BARE_PATH: [port for port, _pid in bare]},
        )
        # Undone last to first: the signals ignored, the cluster stopped, its databases
        # dropped (the logs stay), the bare servers stopped.
        stack.callback(_drop_databases, run_dir)
        stack.enter_context(cluster)
        stack.callback(_ignore_signals)
        print(f"The cluster answers on {cluster.url}/ ({time.monotonic() - started:.0f} s)")
        probed = probe_pages(
            args,
            env=cluster.shop_env(cluster.run_dir / "setup"),
            workdir=workdir,
            front_host=cluster.host,
        )
        meta["catalogue"] = probed["catalogue"]
        for count in counts:
            runs.append(
                _run_nodes(
                    args,
                    count=count,
                    cluster=cluster,
                    bare=bare,
                    wrk=wrk,
                    probed=probed,
                    chosen=chosen,
                    checkout=checkout,
                    workdir=workdir,
                )
            )
        print(f"\nStopping the cluster; its logs stay in {run_dir.relative_to(REPO)}/", flush=True)
    catalogue = meta["catalogue"]
    print(
        f"\nCatalogue: {catalogue['visible_products']} visible products, {catalogue['skus']} SKUs;"
        f" {args.connections} connections, {args.duration} s per scenario, {os.cpu_count()} CPUs."
        "\nx base: req/s over the same run's bare server behind the same nginx (TLS, proxying,"
        " gunicorn, a WSGI call): what the shop itself costs. Judged: errors, 5xx and the"
        " checkout's books only."
    )
    for run in runs:
        _print_run(run)
    if len(runs) > 1:
        print("\n== How the cost grows: the same load on fewer or more nodes ==\n")
        print(format_growth_table(runs))
        print("cpu ms: every part's CPU per request (per confirmed order for the checkout).")
    document = {**meta, "runs": [run.as_json() for run in runs]}
    stamped, _latest = write_document(document, directory=RESULTS, prefix="cluster-")
    print(f"\nWritten to {stamped.relative_to(REPO)} and cluster-latest.json")
    failures = [f"{run.nodes} nodes: {failure}" for run in runs for failure in run.failures]
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if args.check and failures else 0
