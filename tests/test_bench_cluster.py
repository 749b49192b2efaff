"""The cluster benchmark's plumbing that needs no cluster: its options, the front's extra
route for the bare server, the bare server itself, and reading nginx's log. No timing here:
`make bench BENCH_ARGS=--cluster` is run by hand on an idle machine."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cluster import front
from cluster.processes import ClusterError

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
run: Any = importlib.import_module("run")
cluster_bench: Any = importlib.import_module("cluster_bench")
bare_app: Any = importlib.import_module("bare_app")
report: Any = importlib.import_module("report")
checkout_scenario: Any = importlib.import_module("checkout_scenario")
loadgen: Any = importlib.import_module("loadgen")


# ---------------------------------------------------------------- the options
def test_cluster_runs_three_then_one_node_unless_told() -> None:
    assert run._parse_args([]).cluster is False
    assert run._parse_args(["--cluster"]).cluster_nodes == [3, 1]
    chosen = run._parse_args(["--cluster", "--cluster-nodes", "2", "--scenarios", "checkout"])
    assert (chosen.cluster_nodes, chosen.only) == ([2], ["checkout"])


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--cluster-nodes", "4,1"], "the cluster has 3 nodes: 4 is out of range"),
        (["--cluster-nodes", "0"], "0 is out of range"),
        (["--cluster-nodes", "3,3"], "each number of nodes once"),
        (["--cluster-nodes", "three"], "give numbers of nodes separated by commas"),
        (["--cluster-nodes", ","], "give at least one number of nodes"),
        (["--cluster", "--reuse-db"], "fresh database every run; drop --reuse-db"),
        (["--cluster", "--workers", "4"], "each node runs 2 sync workers"),
        (["--cluster", "--worker-threads", "4"], "each node runs 2 sync workers"),
        (["--cluster", "--only", "bare-signed-in"], "bare-signed-in needs the shop's bare page"),
    ],
)
def test_options_the_cluster_cannot_honour_are_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], arguments: list[str], reason: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        run._parse_args(arguments)

    assert refused.value.code == 2
    assert reason in capsys.readouterr().err


def test_the_single_server_run_keeps_its_own_workers_option() -> None:
    assert run._parse_args(["--workers", "4", "--reuse-db"]).workers == 4


# ---------------------------------------------------------------- the front's extra route
def _config(tmp_path: Path, **extra: Any) -> str:
    path = front.write_config(
        tmp_path / "front",
        http_port=8080,
        https_port=8443,
        node_ports=[9001, 9002],
        cert=tmp_path / "tls" / "cert.pem",
        key=tmp_path / "tls" / "key.pem",
        media=tmp_path / "media",
        static=tmp_path / "static",
        **extra,
    )
    return path.read_text()


def test_the_bare_path_goes_to_its_own_upstream_and_only_when_asked(tmp_path: Path) -> None:
    routed = _config(tmp_path, extra_routes={"/__bench__/bare/": [9101, 9102]})
    public = _config(tmp_path)

    assert "location = /__bench__/bare/ {\n            proxy_pass http://extra0;" in routed
    upstream = routed[routed.index("upstream extra0") :]
    assert "server 127.0.0.1:9101 " in upstream
    assert "server 127.0.0.1:9102 " in upstream
    assert "9001" not in upstream.split("}")[0]
    # The shop's own nodes stay the default route; `make cluster` has no bench path at all.
    assert "upstream shop {\n        server 127.0.0.1:9001" in routed
    assert "__bench__" not in public
    assert "extra0" not in public


@pytest.mark.parametrize("path", ["no-slash", "/a b/", "/x;", "/x}"])
def test_an_extra_route_that_could_break_the_config_is_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(ClusterError, match="plain path"):
        _config(tmp_path, extra_routes={path: [9101]})


def test_a_front_without_nodes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="at least one node"):
        front.write_config(
            tmp_path,
            http_port=1,
            https_port=2,
            node_ports=[],
            cert=tmp_path / "c",
            key=tmp_path / "k",
            media=tmp_path,
            static=tmp_path,
        )


@pytest.mark.skipif(not front.NGINX.exists(), reason="nginx is installed by make cluster")
def test_nginx_accepts_the_config_with_the_extra_route(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is installed by make cluster")
    cert, key = front.make_certificate(tmp_path / "tls")
    config = front.write_config(
        tmp_path / "front",
        http_port=8080,
        https_port=8443,
        node_ports=[9001],
        cert=cert,
        key=key,
        media=tmp_path / "media",
        static=tmp_path / "static",
        extra_routes={"/__bench__/bare/": [9101]},
    )
    checked = subprocess.run(  # noqa: S603 - nginx -t on a config of our own
        [*front.command(config), "-t"], capture_output=True, text=True, check=False, timeout=30
    )

    assert checked.returncode == 0, checked.stderr


# ---------------------------------------------------------------- the bare server
def test_the_bare_server_answers_ok_to_anything() -> None:
    started: list[tuple[str, list[tuple[str, str]]]] = []

    body = bare_app.application(
        {"PATH_INFO": "/__bench__/bare/", "REQUEST_METHOD": "GET"},
        lambda status, headers: started.append((status, headers)),
    )

    assert b"".join(body) == b"ok"
    assert started == [
        ("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
    ]


# ---------------------------------------------------------------- reading nginx's log
def test_the_access_log_is_counted_per_upstream_from_the_offset(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    before = "2026-01-01T00:00:00+00:00 r0 200 GET / 127.0.0.1:9001 0.001\n"
    log.write_text(
        before
        + "2026-01-01T00:00:01+00:00 r1 200 GET / 127.0.0.1:9001 0.002\n"
        + "2026-01-01T00:00:01+00:00 r2 200 GET /p/x/ 127.0.0.1:9002 0.002\n"
        # Retried: node 9001 refused, 9002 answered.
        + "2026-01-01T00:00:02+00:00 r3 200 GET / 127.0.0.1:9001, 127.0.0.1:9002 0.010\n"
        + "2026-01-01T00:00:02+00:00 r4 502 GET / 127.0.0.1:9001 0.001\n"
        + "2026-01-01T00:00:03+00:00 r5 301 GET / - 0.000\n"
    )
    names = {"127.0.0.1:9001": "node-a", "127.0.0.1:9002": "node-b"}

    counted, errors = cluster_bench._read_access_log(log, len(before), names)

    assert counted == {"node-a": 2, "node-b": 2, "-": 1}
    assert errors == 1


# ---------------------------------------------------------------- the tables
def _scenario(name: str, *, rps: float, cpu: dict[str, float]) -> Any:
    return report.ScenarioResult(
        name=name,
        urls=1,
        max_queries=0,
        cold_ms=0,
        page_kb=1,
        probe_failures=[],
        load=loadgen.LoadResult(
            requests=int(rps * 10),
            seconds=10,
            socket_errors=0,
            non_2xx=0,
            cache_hits=0,
            cache_misses=0,
            p50_ms=1,
            p99_ms=2,
            max_ms=3,
        ),
        cpu_ms_by_part=cpu,
    )


def test_the_growth_table_sets_each_node_count_side_by_side() -> None:
    runs = []
    for nodes, rps in ((3, 900.0), (1, 600.0)):
        results = [
            _scenario("baseline", rps=rps, cpu={"bare-0": 0.3, "nginx": 0.2}),
            _scenario("category", rps=rps / 3, cpu={"node-a": 1.5, "postgres-primary": 0.25}),
        ]
        for result in results:
            result.judge(baseline_rps=rps, speed=False)
        runs.append(cluster_bench.NodesRun(nodes=nodes, results=results))

    table = cluster_bench.format_growth_table(runs).splitlines()
    cpu = cluster_bench.format_cpu_table(runs[0].results).splitlines()

    assert table[0].split() == [
        "scenario", "3n", "req/s", "3n", "x", "bare", "3n", "cpu", "ms",
        "1n", "req/s", "1n", "x", "bare", "1n", "cpu", "ms",
    ]  # fmt: skip
    assert table[2].split() == ["category", "300", "0.33", "1.75", "200", "0.33", "1.75"]
    assert cpu[0].split() == ["cpu", "ms/req", "nodes", "bare", "nginx", "postgres", "all"]
    assert cpu[2].split() == ["category", "1.50", "0.00", "0.00", "0.25", "1.75"]
    # Judged on correctness only: no speed target fails a cluster run.
    assert [r.failures for r in runs[1].results] == [[], []]


# ---------------------------------------------------------------- the CPU of a family
BUSY_CHILD = """
import subprocess, sys, time
subprocess.run([sys.executable, "-c", "sum(range(3 * 10 ** 7))"], check=True)
print("reaped", flush=True)
time.sleep(30)
"""


def test_a_child_that_ended_keeps_its_cpu_in_its_family(tmp_path: Path) -> None:
    # A PostgreSQL backend ends when its connection closes: its CPU must stay counted, or
    # the difference between two readings goes negative (it did, before cutime was added).
    script = tmp_path / "parent.py"
    script.write_text(BUSY_CHILD)
    with subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as parent:
        try:
            assert parent.stdout is not None
            assert parent.stdout.readline().strip() == "reaped"
            reaped = checkout_scenario.cpu_seconds(parent.pid)
        finally:
            parent.kill()

    # The child's sum alone takes well over 0.1 s of CPU; the parent's own start far less.
    assert reaped > 0.1
