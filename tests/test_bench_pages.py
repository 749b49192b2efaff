"""The page scenarios' parts that need no server: the signed-in wrk script and the targets."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.append(str(BENCH))
loadgen: Any = importlib.import_module("loadgen")
report: Any = importlib.import_module("report")


def test_a_signed_in_script_sends_the_session_cookie_with_every_request(tmp_path: Path) -> None:
    script = loadgen.write_script(["/", "/c/pens/"], tmp_path, "signed-in", cookie="sessionid=abc1")
    anonymous = loadgen.write_script(["/"], tmp_path, "home")

    assert 'local headers = {Cookie = "sessionid=abc1"}' in script.read_text()
    assert 'wrk.format("GET", paths[position], headers)' in script.read_text()
    assert "local headers = {}" in anonymous.read_text()


@pytest.mark.parametrize("cookie", ['a"; os.exit()', "sessionid=abc\nX: y"])
def test_a_cookie_that_could_break_out_of_the_script_is_refused(
    tmp_path: Path, cookie: str
) -> None:
    with pytest.raises(ValueError, match="cookie"):
        loadgen.write_script(["/"], tmp_path, "signed-in", cookie=cookie)


def _result(name: str, *, cold_ms: float, rps: float) -> Any:
    load = loadgen.LoadResult(
        requests=int(rps * 10),
        seconds=10,
        socket_errors=0,
        non_2xx=0,
        cache_hits=1,
        cache_misses=0,
        p50_ms=5,
        p99_ms=20,
        max_ms=30,
    )
    return report.ScenarioResult(
        name=name,
        urls=3,
        max_queries=6,
        cold_ms=cold_ms,
        page_kb=10,
        probe_failures=[],
        load=load,
    )


def test_the_live_scenarios_are_judged_on_ratio_and_the_cold_pages_on_server_time() -> None:
    slow_cold = _result("product", cold_ms=8.5, rps=600)
    fine = _result("churn", cold_ms=30, rps=300)
    too_slow = _result("signed-in", cold_ms=30, rps=200)
    for result in (slow_cold, fine, too_slow):
        result.judge(baseline_rps=1000)

    assert slow_cold.failures == ["cold 8.5 ms > 8"]
    assert fine.failures == []
    assert too_slow.failures == ["rps < 0.25x baseline"]
    table = report.format_table([slow_cold, fine, too_slow])
    assert "cpu ms/req" in table
    assert "8.5 (<=8)" in table
