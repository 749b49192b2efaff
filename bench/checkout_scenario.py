"""The checkout scenario of ``make bench``: the sandbox processor beside the shop, the
phases (warm-up, bare baseline, measured buyers, scarce stock), the audit and the table.

``run.py`` starts gunicorn; this module starts ``python -m cardsandbox`` on its own loopback
port with a key and webhook secrets made for the run (the shop gets the same ones through
its environment), stocks the SKUs through ``bench/shop_state.py`` and drives the buyers of
``bench/buyers.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from buyers import Buyer, PhaseResult, bare_flow, buyer_flow, run_phase
from processes import running

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Buyers share these SKUs (buyer i buys SKU i mod 4), so the stock rows see contention too.
PLENTY_SKUS = 4
PLENTY_STOCK = 1_000_000
# Targets from the issue, for the embedded default with 8 buyers.
MIN_ORDERS_PER_SECOND = 20.0
MAX_FLOW_P99_MS = 1000.0


class CheckoutBenchError(RuntimeError):
    """The scenario could not be carried out; the message says why."""


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by ``pid`` and every process below it, from
    Linux's /proc, those that ended included once reaped (for this very process: its own
    threads only); None without /proc. The figure that says where a flow's cost goes when
    the machine, not a lock, is the limit."""
    if pid == os.getpid():
        # This process alone (its buyer threads), without the servers it started.
        return sum(os.times()[:2])
    proc = Path("/proc")
    if not (proc / str(pid)).exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        # utime and stime, then cutime and cstime: the children it has reaped. A process that
        # ended (a PostgreSQL backend whose connection closed) leaves the table, and its CPU
        # would leave the sum with it, making a difference between two readings negative.
        used[int(entry.name)] = sum(int(value) for value in fields[11:15]) / ticks
    total, family = 0.0, {pid}
    for candidate in sorted(parents):
        line, seen = candidate, set()
        while line not in family and line in parents and line not in seen:
            seen.add(line)
            line = parents[line]
        if line in family:
            family.add(candidate)
            total += used.get(candidate, 0.0)
    return total


@dataclass(frozen=True)
class ProcessorConfig:
    port: int
    api_key: str
    webhook_secret: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    def make(cls, port: int) -> ProcessorConfig:
        return cls(
            port=port,
            api_key=f"sk_test_bench_{secrets.token_hex(8)}",
            webhook_secret=f"whsec_bench_{secrets.token_hex(8)}",
        )

    def shop_env(self) -> dict[str, str]:
        """What the shop needs to reach this processor and trust its webhooks."""
        return {
            "BUNGU_PROCESSOR_URL": self.url,
            "BUNGU_PROCESSOR_API_KEY": self.api_key,
            "BUNGU_PROCESSOR_WEBHOOK_SECRETS": self.webhook_secret,
        }


@contextmanager
def sandbox_processor(
    config: ProcessorConfig, *, var_dir: Path, webhook_url: str, log: Path
) -> Iterator[int]:
    """Run ``python -m cardsandbox`` on a fresh database until the block ends, however."""
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CARDSANDBOX_", "BUNGU_", "DJANGO_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env.update(
        PYTHONPATH=str(REPO / "src"),
        PROCESSOR_PORT=str(config.port),
        CARDSANDBOX_VAR_DIR=str(var_dir),
        CARDSANDBOX_API_KEY=config.api_key,
        CARDSANDBOX_WEBHOOK_SECRETS=config.webhook_secret,
        CARDSANDBOX_WEBHOOK_URL=webhook_url,
    )
    with running(
        [sys.executable, "-m", "cardsandbox"],
        env=env,
        log=log,
        wait_until_ready=lambda process: _wait_for_processor(process, config=config, log=log),
    ) as pid:
        yield pid


def _wait_for_processor(
    process: subprocess.Popen[bytes], *, config: ProcessorConfig, log: Path
) -> None:
    deadline = time.monotonic() + 60
    request = urllib.request.Request(  # noqa: S310 - our own loopback URL
        f"{config.url}/v1/payments?limit=1",
        headers={"Authorization": f"Bearer {config.api_key}"},
    )
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CheckoutBenchError(f"the sandbox processor exited; see {log}")
        try:
            with urllib.request.urlopen(request, timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise CheckoutBenchError(f"the sandbox processor did not answer within 60 s; see {log}")


def _shop_state(arguments: list[str], *, env: dict[str, str], out: Path) -> dict[str, Any]:
    """Run ``bench/shop_state.py`` under the shop's settings; return the JSON it wrote."""
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "shop_state.py"), *arguments, "--out", str(out)],
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise CheckoutBenchError(
            f"bench/shop_state.py {arguments[0]} failed:\n{finished.stderr[-3000:]}"
        )
    document: dict[str, Any] = json.loads(out.read_text())
    return document


# ---------------------------------------------------------------- the result
@dataclass
class CheckoutReport:
    buyers: int
    warmup: PhaseResult | None = None
    baseline: PhaseResult | None = None
    measured: PhaseResult | None = None
    scarce: PhaseResult | None = None
    scarce_units: int = 0
    scarce_orders: int = 0
    audit: dict[str, Any] = field(default_factory=dict)
    # CPU milliseconds per confirmed order in the measured phase: shop, processor, buyers.
    cpu_ms_per_order: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if not (self.measured and self.baseline and self.baseline.per_second):
            return None
        return self.measured.per_second / self.baseline.per_second

    @property
    def errors(self) -> int:
        phases = (self.warmup, self.measured, self.scarce)
        return sum(len(phase.errors) for phase in phases if phase is not None)

    @property
    def oversold(self) -> int:
        return int(self.audit.get("oversold_units", 0))

    @property
    def orphans(self) -> int:
        return len(self.audit.get("orphan_authorisations", []))

    def judge(self, *, target_buyers: int = 8) -> None:
        """List the targets missed (the rate and p99 only at the issue's 8 buyers)."""
        self.failures = []
        measured = self.measured
        if measured is None:
            self.failures.append("not loaded")
            return
        if self.buyers == target_buyers:
            if measured.per_second < MIN_ORDERS_PER_SECOND:
                self.failures.append(f"orders/s < {MIN_ORDERS_PER_SECOND:g}")
            if measured.percentile_ms(99) > MAX_FLOW_P99_MS:
                self.failures.append(f"p99 > {MAX_FLOW_P99_MS:g} ms")
        if self.errors:
            self.failures.append(f"{self.errors} errors")
        if self.oversold:
            self.failures.append(f"{self.oversold} units oversold")
        if self.orphans:
            self.failures.append(f"{self.orphans} authorisations without an order")
        if self.scarce is not None and self.scarce_orders != min(
            self.scarce_units, self.scarce.buyers
        ):
            self.failures.append(
                f"scarce: {self.scarce_orders} orders for {self.scarce_units} units"
            )

    def as_json(self) -> dict[str, Any]:
        def phase(result: PhaseResult | None) -> dict[str, Any] | None:
            if result is None:
                return None
            return {
                "buyers": result.buyers,
                "seconds": result.seconds,
                "flows": len(result.outcomes),
                "confirmed": result.confirmed,
                "sold_out": result.sold_out,
                "per_second": result.per_second,
                "p50_ms": result.percentile_ms(50),
                "p99_ms": result.percentile_ms(99),
                "requests_per_flow": result.requests_per_flow,
                "errors": result.errors[:20],
                "step_median_ms": result.step_ms(),
            }

        return {
            "buyers": self.buyers,
            "warmup": phase(self.warmup),
            "baseline": phase(self.baseline),
            "measured": phase(self.measured),
            "scarce": phase(self.scarce),
            "scarce_units": self.scarce_units,
            "scarce_orders": self.scarce_orders,
            "ratio": self.ratio,
            "audit": self.audit,
            "cpu_ms_per_order": self.cpu_ms_per_order,
            "targets": {
                "min_orders_per_second": MIN_ORDERS_PER_SECOND,
                "max_flow_p99_ms": MAX_FLOW_P99_MS,
                "errors": 0,
                "oversold": 0,
            },
            "failures": self.failures,
            "passed": not self.failures,
        }


# ---------------------------------------------------------------- the phases
def run_checkout(
    *,
    shop_port: int,
    pids: dict[str, int],
    env: dict[str, str],
    workdir: Path,
    buyers: int,
    seconds: int,
    scarce_units: int,
    bare_path: str,
    shop_url: str | None = None,
    verify: ssl.SSLContext | bool = True,
    judge_rate: bool = True,
) -> CheckoutReport:
    """Stock the SKUs, then warm up, measure the bare baseline, measure the buyers, race
    them for the scarce units, and audit the books. ``shop_url`` (with ``verify``, what its
    TLS is trusted by) replaces ``http://127.0.0.1:shop_port``; without ``judge_rate`` only
    correctness is judged (errors, oversold units, orphans, the race), not speed."""
    shop_url = shop_url or f"http://{HOST}:{shop_port}"
    seeded = _shop_state(
        [
            "seed",
            "--plenty",
            str(PLENTY_SKUS),
            "--stock",
            str(PLENTY_STOCK),
            "--scarce",
            str(scarce_units),
        ],
        env=env,
        out=workdir / "seed.json",
    )
    plenty = [sku["path"] for sku in seeded["plenty"]]
    report = CheckoutReport(buyers=buyers, scarce_units=scarce_units)
    people = [
        Buyer(shop_url=shop_url, product_path=plenty[i % len(plenty)], verify=verify)
        for i in range(buyers)
    ]
    try:
        print(f"  checkout: warm-up, one flow per buyer ({buyers} buyers) ...", flush=True)
        report.warmup = run_phase(lambda i: buyer_flow(people[i]), buyers=buyers, flows_each=1)
        # A warm-up without one confirmed flow (its errors are reported) falls back to the
        # flow's request count at the time of writing.
        per_flow = round(report.warmup.requests_per_flow) or 13
        print(f"  checkout-bare: {per_flow} bare requests per flow, {seconds} s ...", flush=True)
        bare_clients = [httpx.Client(timeout=30, verify=verify) for _ in range(buyers)]
        try:
            report.baseline = run_phase(
                lambda i: bare_flow(bare_clients[i], shop_url + bare_path, per_flow),
                buyers=buyers,
                seconds=seconds,
            )
        finally:
            for client in bare_clients:
                client.close()
        print(f"  checkout: {buyers} buyers, {seconds} s ...", flush=True)
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        report.measured = run_phase(lambda i: buyer_flow(people[i]), buyers=buyers, seconds=seconds)
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        if report.measured.confirmed:
            for name, used in after.items():
                start = before[name]
                if used is not None and start is not None:
                    report.cpu_ms_per_order[name] = (
                        1000 * (used - start) / report.measured.confirmed
                    )
        if scarce_units:
            print(
                f"  checkout-scarce: {buyers} buyers for the last {scarce_units} units ...",
                flush=True,
            )
            for person in people:
                person.product_path = seeded["scarce"]["path"]
            report.scarce = run_phase(lambda i: buyer_flow(people[i]), buyers=buyers, flows_each=1)
    finally:
        for person in people:
            person.close()
    scarce = seeded["scarce"]
    sku_ids = [sku["id"] for sku in seeded["plenty"]] + [scarce["id"]]
    report.audit = _shop_state(
        ["audit", "--since", seeded["since"], "--skus", *map(str, sku_ids)],
        env=env,
        out=workdir / "audit.json",
    )
    report.scarce_orders = int(report.audit["units_by_sku"].get(str(scarce["id"]), 0))
    # No buyer count matches 0: the rate and p99 targets are left out.
    report.judge(target_buyers=8 if judge_rate else 0)
    return report


def format_checkout_table(report: CheckoutReport, *, targets: bool = True) -> str:
    """The checkout's own table: flows rather than requests (``targets``: with the speed
    targets beside the figures)."""
    headers = [
        "phase",
        "buyers",
        "flows",
        "ok/s",
        "x base",
        "p50 ms",
        "p99 ms",
        "req/flow",
        "errors",
        "result",
    ]
    rows: list[list[str]] = []

    def line(name: str, result: PhaseResult | None, ratio: str, p99: str, verdict: str) -> None:
        if result is None:
            rows.append([name, *["-"] * 8, verdict])
            return
        rows.append(
            [
                name,
                str(result.buyers),
                str(len(result.outcomes)),
                f"{result.per_second:.1f}",
                ratio,
                f"{result.percentile_ms(50):.0f}",
                p99,
                f"{result.requests_per_flow:.1f}",
                str(len(result.errors)),
                verdict,
            ]
        )

    measured = report.measured
    line("checkout-bare", report.baseline, "1.00", _ms(report.baseline), "")
    line(
        "checkout",
        measured,
        f"{report.ratio:.2f}" if report.ratio else "-",
        f"{_ms(measured)} (<={MAX_FLOW_P99_MS:g})" if targets else _ms(measured),
        "PASS" if not report.failures else "FAIL: " + "; ".join(report.failures),
    )
    scarce = report.scarce
    line(
        "checkout-scarce",
        scarce,
        "",
        _ms(scarce),
        f"{report.scarce_orders} orders for {report.scarce_units} units,"
        f" {scarce.sold_out if scarce else 0} told sold out",
    )
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers) - 1)]
    text = [
        "  ".join(
            [
                *(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(r, widths, strict=False))
                ),
                r[-1],
            ]
        )
        for r in [headers, *rows]
    ]
    audit = report.audit
    text.append("")
    target = f"; target >= {MIN_ORDERS_PER_SECOND:g} with 8 buyers" if targets else ""
    text.append(
        f"ok/s: confirmed orders per second (bare: flows of bare requests){target}."
        f" Oversold units: {report.oversold};"
        f" authorisations without an order: {report.orphans};"
        f" processor payments: {audit.get('payments', '-')} {audit.get('payment_states', '')}"
    )
    if report.cpu_ms_per_order:
        spent = ", ".join(f"{name} {ms:.0f}" for name, ms in report.cpu_ms_per_order.items())
        text.append(f"CPU ms per confirmed order: {spent} ({os.cpu_count()} CPUs)")
    if measured is not None and measured.confirmed:
        steps = ", ".join(f"{name} {ms:.0f}" for name, ms in measured.step_ms().items())
        text.append(f"Median ms per step: {steps}")
    for error in (report.warmup.errors if report.warmup else [])[:3] + (
        measured.errors if measured else []
    )[:5]:
        text.append(f"  error: {error}")
    return "\n".join(text)


def _ms(result: PhaseResult | None) -> str:
    return f"{result.percentile_ms(99):.0f}" if result else "-"
