"""`make bench`: load the shop's pages and compare them with a bare page of the same server.

One run: a fresh SQLite database under ``var/bench/skus-<N>/``, migrated and filled by
``bungu load_demo_catalog``; gunicorn in the development profile on a free loopback port; each
scenario driven by ``wrk`` for a fixed time; the table printed and written as JSON to
``bench/results/``. gunicorn is stopped on every way out, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import django
import gunicorn.config  # type: ignore[import-untyped]
from checkout_scenario import (
    CheckoutBenchError,
    CheckoutReport,
    ProcessorConfig,
    format_checkout_table,
    run_checkout,
    sandbox_processor,
)
from cluster_bench import GUNICORN_WORKERS, ClusterError, parse_node_counts, run_cluster
from loadgen import LoadGeneratorError, find_wrk
from page_load import (
    BenchError,
    Front,
    git_revision,
    load_with_wrk,
    probe_pages,
    scenario_result,
)
from processes import running
from report import TARGETS, format_table, write_json

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
HOST = "127.0.0.1"
BARE_PATH = "/__bench__/bare/"
SCENARIOS = list(TARGETS)
# Driven by bench/buyers.py's buyers rather than wrk; chosen with --only/--scenarios too.
CHECKOUT = "checkout"
CHOICES = [*SCENARIOS, CHECKOUT]
DEFAULT_WORKERS = 2


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load the shop's pages and compare them with a bare page.",
    )
    parser.add_argument("--skus", type=int, default=10_000, help="catalogue size (10000)")
    parser.add_argument("--seed", type=int, default=1, help="catalogue and URL seed (1)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds first (2)")
    parser.add_argument(
        "--no-prime",
        dest="prime",
        action="store_false",
        help="do not request every page once before measuring",
    )
    parser.add_argument("--connections", type=int, default=16, help="open connections (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="gunicorn workers (2)")
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (1: sync workers; more: gthread workers)",
    )
    parser.add_argument(
        "--products", type=int, default=1000, help="product pages rotated through (1000)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=CHOICES,
        help="run only this scenario (repeatable; the baseline always runs)",
    )
    parser.add_argument(
        "--scenarios",
        help=f"comma-separated scenarios to run, like --only ({', '.join(CHOICES)})",
    )
    parser.add_argument("--buyers", type=int, default=8, help="checkout: concurrent buyers (8)")
    parser.add_argument(
        "--scarce-units",
        type=int,
        default=5,
        help="checkout: units the buyers race for in the last phase (5; 0 skips it)",
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep an existing benchmark database instead of generating a fresh one",
    )
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="serve every page uncached, to load the pages' own cost rather than the cache's",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="through the cluster's nginx over TLS (PostgreSQL + standby, Redis, three nodes),"
        " beside a bare server behind the same nginx",
    )
    parser.add_argument(
        "--cluster-nodes",
        type=parse_node_counts,
        default=[3, 1],
        metavar="COUNTS",
        help="with --cluster: how many nodes nginx sends the load to, in turn (3,1)",
    )
    args = parser.parse_args(argv)
    for name in ("skus", "duration", "connections", "threads", "workers", "products", "buyers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if args.scarce_units < 0:
        parser.error("--scarce-units must not be negative")
    if args.scenarios is not None:
        named = [name.strip() for name in args.scenarios.split(",") if name.strip()]
        unknown = [name for name in named if name not in CHOICES]
        if unknown or not named:
            parser.error(
                f"--scenarios: unknown {', '.join(unknown) or '(none given)'};"
                f" choose from {', '.join(CHOICES)}"
            )
        args.only = [*(args.only or []), *named]
    if args.cluster:
        _check_cluster_options(parser, args)
    return args


def _check_cluster_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse the options the cluster decides for itself, rather than ignore them."""
    if args.reuse_db:
        parser.error("--cluster starts from a fresh database every run; drop --reuse-db")
    if args.workers != DEFAULT_WORKERS or args.worker_threads != 1:
        parser.error(
            f"--cluster: each node runs {GUNICORN_WORKERS} sync workers;"
            " drop --workers and --worker-threads"
        )
    if "bare-signed-in" in (args.only or []):
        parser.error(
            "--cluster: bare-signed-in needs the shop's bare page, which the cluster"
            " (production profile) does not have"
        )


def _shop_env(var_dir: Path, *, page_cache: bool) -> dict[str, str]:
    # The default profile on a private SQLite file, whatever the caller's shell exports.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BUNGU_") and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env.update(
        BUNGU_VAR_DIR=str(var_dir),
        BUNGU_BENCH_BASELINE="1",
        BUNGU_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="bungu.settings",
    )
    if not page_cache:
        # A page stored for 0 seconds is expired at once: every request renders the page.
        env["BUNGU_PAGE_CACHE_SECONDS"] = "0"
    return env


def _bungu(arguments: list[str], *, env: dict[str, str], timeout: float) -> None:
    print(f"$ bungu {' '.join(arguments)}", flush=True)
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "bungu", *arguments],
            env=env,
            cwd=REPO,
            timeout=timeout,
            check=False,
            capture_output=True,
            text=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`bungu {arguments[0]}` took longer than {timeout:.0f} s") from exc
    if finished.returncode != 0:
        output = (finished.stdout + finished.stderr).strip()
        if "Unknown command" in output:
            raise BenchError(f"`bungu {arguments[0]}` does not exist in this checkout yet")
        raise BenchError(f"`bungu {' '.join(arguments)}` failed:\n{output[-3000:]}")


def _prepare_database(args: argparse.Namespace, *, var_dir: Path, env: dict[str, str]) -> None:
    database = var_dir / "bungu.sqlite3"
    if args.reuse_db and database.exists():
        print(f"Reusing {database.relative_to(REPO)}", flush=True)
        _bungu(["migrate", "--noinput"], env=env, timeout=600)
        return
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    _bungu(["migrate", "--noinput"], env=env, timeout=600)
    started = time.monotonic()
    # About a minute per 10,000 SKUs is expected; the bound only stops a runaway generator.
    _bungu(
        ["load_demo_catalog", "--skus", str(args.skus), "--seed", str(args.seed)],
        env=env,
        timeout=600 + args.skus / 10,
    )
    print(f"Catalogue generated in {time.monotonic() - started:.0f} s", flush=True)


def _free_port(*, avoid: int = 0) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
        if port != avoid:
            return port


def _wait_until_ready(server: subprocess.Popen[bytes], *, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{BARE_PATH}", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer within 60 s; see {log}")


@contextmanager
def _gunicorn(
    *, port: int, workers: int, env: dict[str, str], log: Path, threads: int = 1
) -> Iterator[int]:
    """Serve the shop on ``port`` of the loopback until the block ends, however it ends;
    yields the server's process id."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "bungu.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "5",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    if "control_socket_disable" in gunicorn.config.Config().settings:
        # Newer gunicorns open a control socket in the home directory, the one `make run` uses.
        command.append("--no-control-socket")
    with running(
        command,
        env=env,
        log=log,
        wait_until_ready=lambda server: _wait_until_ready(server, port=port, log=log),
    ) as pid:
        yield pid


def _run(args: argparse.Namespace) -> int:
    wrk = find_wrk()
    var_dir = REPO / "var" / "bench" / f"skus-{args.skus}"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = _shop_env(var_dir, page_cache=not args.no_page_cache)
    chosen = [
        "baseline",
        *(s for s in SCENARIOS if s != "baseline" and s in (args.only or SCENARIOS)),
    ]
    checkout = CHECKOUT in (args.only or CHOICES)
    shop_port = _free_port()
    processor = ProcessorConfig.make(_free_port(avoid=shop_port)) if checkout else None
    if processor is not None:
        env.update(processor.shop_env())
    meta: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": git_revision(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": "sqlite",
        "profile": "development",
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "page_cache": not args.no_page_cache,
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
                "workers",
                "buyers",
                "scarce_units",
            )
        },
    }
    _prepare_database(args, var_dir=var_dir, env=env)
    # Start from an empty page cache: nothing from an earlier run counts as a hit.
    shutil.rmtree(var_dir / "cache", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bungu-bench-") as scratch:
        workdir = Path(scratch)
        probed = probe_pages(args, env=env, workdir=workdir)
        meta["catalogue"] = probed["catalogue"]
        results = [scenario_result(name, probed) for name in chosen]
        checkout_report: CheckoutReport | None = None
        pids = {"buyers": os.getpid()}
        with ExitStack() as servers:
            if processor is not None:
                pids["processor"] = servers.enter_context(
                    sandbox_processor(
                        processor,
                        var_dir=var_dir / "cardsandbox",
                        webhook_url=f"http://{HOST}:{shop_port}/checkout/webhook/",
                        log=var_dir / "cardsandbox.log",
                    )
                )
                print(f"sandbox card processor on {processor.url}", flush=True)
            pids["shop"] = servers.enter_context(
                _gunicorn(
                    port=shop_port, workers=args.workers, env=env, log=var_dir / "gunicorn.log"
                )
            )
            port = shop_port
            print(f"gunicorn ({args.workers} workers) on {HOST}:{port}", flush=True)
            load_with_wrk(
                args,
                wrk=wrk,
                front=Front(
                    url=f"http://{HOST}:{port}", parts={"shop": pids["shop"]}, shop=("shop",)
                ),
                env=env,
                results=results,
                probed=probed,
                workdir=workdir,
            )
            if processor is not None:
                checkout_report = run_checkout(
                    shop_port=port,
                    pids=pids,
                    env=env,
                    workdir=workdir,
                    buyers=args.buyers,
                    seconds=args.duration,
                    scarce_units=args.scarce_units,
                    bare_path=BARE_PATH,
                )
    baseline = results[0].load
    for result in results:
        result.judge(baseline_rps=baseline.rps if baseline else None)
    catalogue = probed["catalogue"]
    print(
        f"\nCatalogue: {catalogue['visible_products']} visible products, {catalogue['skus']} SKUs;"
        f" {args.connections} connections, {args.duration} s per scenario\n"
    )
    print(format_table(results))
    for result in results:
        if result.changes is not None:
            print(f"{result.name}: {result.changes} stock changes that show, one a second")
    if checkout_report is not None:
        print()
        print(format_checkout_table(checkout_report))
        meta["checkout"] = checkout_report.as_json()
    stamped, _latest = write_json(results, meta=meta, directory=RESULTS)
    print(f"\nWritten to {stamped.relative_to(REPO)} and latest.json")
    missed = any(result.failures for result in results) or bool(
        checkout_report and checkout_report.failures
    )
    return 1 if args.check and missed else 0


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    print(f"bench: stopped by {signal.Signals(signum).name}", file=sys.stderr)
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # Ctrl-C stops the run even when started from a shell that ignores it for background
    # jobs; a polite kill unwinds the same way, so gunicorn is always stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    try:
        return run_cluster(args) if args.cluster else _run(args)
    except (BenchError, CheckoutBenchError, ClusterError, LoadGeneratorError, ValueError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
