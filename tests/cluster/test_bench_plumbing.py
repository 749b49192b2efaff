"""The cluster benchmark's plumbing against the session's cluster, tiny and untimed: a bare
server routed through the front, the probe asking as nginx does, ``wrk`` over TLS on one
node. Judged on what a run must get right, never on speed: every request answered 2xx, the
load went to node a and the bare server only, and nginx answered no 5xx."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from cluster import Cluster
from cluster.topology import NODE_NAMES
from tests.cluster import figures

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
run: Any = importlib.import_module("run")
cluster_bench: Any = importlib.import_module("cluster_bench")
page_load: Any = importlib.import_module("page_load")
loadgen: Any = importlib.import_module("loadgen")


def test_a_tiny_cluster_run_loads_one_node_and_the_bare_server_through_the_front(
    cluster: Cluster, tmp_path: Path
) -> None:
    args = run._parse_args(
        [
            "--cluster",
            "--cluster-nodes",
            "1",
            # Primed, as a run is: a cold page on a busy machine may take longer than this.
            "--duration",
            "3",
            "--warmup",
            "0",
            "--connections",
            "2",
            "--products",
            "5",
            "--scenarios",
            "category",
        ]
    )
    with cluster_bench.bare_servers(1, log_dir=tmp_path / "bare") as bare:
        try:
            probed = page_load.probe_pages(
                args,
                env=cluster.shop_env(cluster.run_dir / "setup"),
                workdir=tmp_path,
                front_host=cluster.host,
            )
            outcome = cluster_bench._run_nodes(
                args,
                count=1,
                cluster=cluster,
                bare=bare,
                wrk=loadgen.find_wrk(),
                probed=probed,
                chosen=["baseline", "category"],
                checkout=False,
                workdir=tmp_path,
            )
        finally:
            cluster.route_front(NODE_NAMES, extra_routes={})
    loads = {result.name: result.load for result in outcome.results}
    figures.record(
        "(0) bench --cluster",
        "tiny run on node a: requests by upstream",
        outcome.upstreams,
    )

    assert outcome.failures == []
    assert [name for name, load in loads.items() if load is None or not load.requests] == []
    assert {name: load.errors for name, load in loads.items()} == {"baseline": 0, "category": 0}
    assert set(outcome.upstreams) == {"node-a", "bare-0"}
    assert outcome.front_5xx == 0
    # The probe asked as nginx does: the shop answered its pages, not a redirect or a 400.
    assert [c["status"] for c in probed["counted"]["category"]] == [200] * len(
        probed["counted"]["category"]
    )
