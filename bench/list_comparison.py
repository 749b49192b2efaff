"""The ``list-comparison`` scenario (P8): compare a partner's file of a million HMAC digests
with the shop's customers, and report the time, the CPU and the peak memory.

    .venv/bin/python bench/list_comparison.py                     # 1,000,000 lines
    .venv/bin/python bench/list_comparison.py --lines 200000 --customers 5000
    .venv/bin/python bench/list_comparison.py --method psi --customers 100000

``--method psi`` runs a private set intersection instead: the shop's request, the partner's
answer (``bungu marketing psi-answer`` in its own process, as the partner would run it, so
its CPU and peak memory are its own) and the shop's finish, each timed
(``bench/results/list-comparison-psi.json``).

It runs on its own SQLite file under ``var/bench/list-comparison/`` (migrated in this
process, so the migration's memory is in the high-water mark before the comparison starts:
the report gives the peak and how much the comparison added to it). Bounded memory shows as
a growth that does not follow the number of lines. Written to
``bench/results/list-comparison.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


@dataclass
class Report:
    lines: int
    customers: int
    matched: int
    rejected: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    rss_growth_mb: float

    def __str__(self) -> str:
        return (
            f"list-comparison: {self.lines:,} lines against {self.customers:,} customers, "
            f"{self.matched:,} matched, {self.rejected:,} rejected; {self.wall_seconds:.1f} s "
            f"wall, {self.cpu_seconds:.1f} s CPU, peak RSS {self.peak_rss_mb:.0f} MB "
            f"(+{self.rss_growth_mb:.1f} MB during the comparison)"
        )


def _maxrss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_partner_file(path: Path, *, key: bytes, lines: int, matching: list[str]) -> None:
    """``lines`` digests: those of ``matching`` under ``key``, the rest random, and one bad
    line in every 10,000 (so the rejected count shows in the report)."""
    from bungu.marketing.comparison import digest  # noqa: PLC0415 - after django.setup()

    with path.open("w", encoding="ascii") as out:
        for address in matching[:lines]:
            out.write(digest(key=key, address=address) + "\n")
        for n in range(lines - min(lines, len(matching))):
            out.write("not a digest\n" if n % 10_000 == 9_999 else secrets.token_hex(32) + "\n")


def _customers_and_agreement(customers: int) -> tuple[list[str], Any]:
    """``customers`` generated customers and an agreement with the bench's partner."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 - after django.setup()
    from django.utils import timezone  # noqa: PLC0415

    from bungu.marketing.models import ComparisonAgreement  # noqa: PLC0415

    user_model = get_user_model()
    addresses = [f"bench-customer-{n}@example.com" for n in range(customers)]
    user_model.objects.bulk_create(
        [user_model(email=address, name="Bench customer") for address in addresses],
        batch_size=1000,
        ignore_conflicts=True,
    )
    agreement = ComparisonAgreement.objects.create(
        partner="Bench Partner", notice_version=1, expires_at=timezone.now() + timedelta(days=30)
    )
    return addresses, agreement


def scenario(*, lines: int, customers: int, workdir: Path) -> Report:
    """Make ``customers`` customers and an agreement, write the partner's file (every tenth
    customer on it), compare it, and measure the comparison. Needs a migrated database."""
    # Imported here: the Django settings must be configured first (main() does that).
    from bungu.marketing.comparison import compare_digests, start_exchange  # noqa: PLC0415

    addresses, agreement = _customers_and_agreement(customers)
    exchange, key = start_exchange(agreement=agreement)
    path = workdir / "partner-digests.txt"
    write_partner_file(path, key=key, lines=lines, matching=addresses[::10])
    before_rss, before_cpu, started = _maxrss_mb(), _cpu(), time.monotonic()
    with path.open("rb") as stream:
        result = compare_digests(exchange=exchange, stream=stream)
    path.unlink()
    peak = _maxrss_mb()
    return Report(
        lines=result.lines,
        customers=customers,
        matched=result.matched,
        rejected=result.rejected_total,
        wall_seconds=time.monotonic() - started,
        cpu_seconds=_cpu() - before_cpu,
        peak_rss_mb=peak,
        rss_growth_mb=peak - before_rss,
    )


@dataclass
class PsiReport:
    lines: int
    customers: int
    matched: int
    request_mb: float
    answer_mb: float
    request_cpu_seconds: float
    answer_wall_seconds: float
    answer_cpu_seconds: float
    answer_peak_rss_mb: float
    finish_wall_seconds: float
    finish_cpu_seconds: float
    shop_peak_rss_mb: float

    def __str__(self) -> str:
        return (
            f"list-comparison (PSI): {self.lines:,} partner lines against {self.customers:,} "
            f"customers, {self.matched:,} matched. Shop's request: {self.request_mb:.1f} MB, "
            f"{self.request_cpu_seconds:.1f} s CPU. Partner's answer: {self.answer_mb:.1f} MB, "
            f"{self.answer_wall_seconds:.1f} s wall, {self.answer_cpu_seconds:.1f} s CPU, peak "
            f"RSS {self.answer_peak_rss_mb:.0f} MB. Shop's finish: "
            f"{self.finish_wall_seconds:.1f} s wall, {self.finish_cpu_seconds:.1f} s CPU; shop's "
            f"peak RSS {self.shop_peak_rss_mb:.0f} MB"
        )


def _children() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def psi_scenario(*, lines: int, customers: int, workdir: Path) -> PsiReport:
    """Make ``customers`` customers and an agreement; the shop writes its request, the
    partner answers it from ``lines`` addresses (every tenth customer among them) in its own
    process, and the shop finishes. Needs a migrated database; the files are removed."""

    from bungu.marketing.psi import finish_psi_exchange, start_psi_exchange  # noqa: PLC0415

    addresses, agreement = _customers_and_agreement(customers)
    request, theirs, answer = (workdir / name for name in ("request.psi", "list.txt", "answer.psi"))
    matching = addresses[::10][:lines]
    with theirs.open("w", encoding="utf-8") as out:
        out.writelines(f"{address}\n" for address in matching)
        out.writelines(f"partner-{n}@example.org\n" for n in range(lines - len(matching)))
    del addresses, matching
    started_cpu = _cpu()
    with request.open("wb") as out:
        start_psi_exchange(agreement=agreement, out=out)
    request_cpu = _cpu() - started_cpu
    started, (child_cpu, _) = time.monotonic(), _children()
    subprocess.run(
        [sys.executable, "-m", "bungu", "marketing", "psi-answer", "--request", str(request),
         "--list", str(theirs), "--out", str(answer)],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    answer_wall = time.monotonic() - started
    answer_cpu, answer_rss = _children()
    started, started_cpu = time.monotonic(), _cpu()
    with answer.open("rb") as stream:
        _, result = finish_psi_exchange(stream=stream)
    report = PsiReport(
        lines=lines,
        customers=customers,
        matched=result.matched,
        request_mb=request.stat().st_size / 1e6,
        answer_mb=answer.stat().st_size / 1e6,
        request_cpu_seconds=request_cpu,
        answer_wall_seconds=answer_wall,
        answer_cpu_seconds=answer_cpu - child_cpu,
        answer_peak_rss_mb=answer_rss,
        finish_wall_seconds=time.monotonic() - started,
        finish_cpu_seconds=_cpu() - started_cpu,
        shop_peak_rss_mb=_maxrss_mb(),
    )
    for path in (request, theirs, answer):
        path.unlink()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="partner's lines (1e6)")
    parser.add_argument("--customers", type=int, default=10_000, help="our customers (10000)")
    parser.add_argument("--method", choices=("hmac", "psi"), default="hmac")
    args = parser.parse_args(argv)
    workdir = REPO / "var" / "bench" / "list-comparison"
    workdir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (workdir / f"bungu.sqlite3{suffix}").unlink(missing_ok=True)
    for name in [key for key in os.environ if key.startswith("BUNGU_")] + ["DATABASE_URL"]:
        os.environ.pop(name, None)
    os.environ.update(BUNGU_VAR_DIR=str(workdir), DJANGO_SETTINGS_MODULE="bungu.settings")
    os.environ.update(BUNGU_LOG_LEVEL="WARNING")
    import django  # noqa: PLC0415 - the environment above first
    from django.core.management import call_command  # noqa: PLC0415

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    report: Report | PsiReport
    if args.method == "psi":
        report = psi_scenario(lines=args.lines, customers=args.customers, workdir=workdir)
        name = "list-comparison-psi.json"
    else:
        report = scenario(lines=args.lines, customers=args.customers, workdir=workdir)
        name = "list-comparison.json"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(asdict(report), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
