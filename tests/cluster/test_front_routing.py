"""The front can be sent to fewer nodes while the cluster runs (``Cluster.route_front``, what
the cluster benchmark's one-node phase uses), and an extra exact path to other ports; the
nodes left out keep running, idle. Counted from nginx's own access log, with the positive
control that all three nodes do get requests when all three are routed."""

from __future__ import annotations

from collections import Counter

import httpx

from cluster import Cluster
from cluster.processes import HOST
from cluster.topology import NODE_NAMES
from tests.cluster import figures

REQUESTS = 30


def _upstreams_of(cluster: Cluster, path: str) -> Counter[str]:
    """Send REQUESTS GETs of ``path`` through the front; which upstream answered each."""
    log = cluster.run_dir / "front" / "access.log"
    offset = log.stat().st_size
    with httpx.Client(verify=cluster.tls_context(), timeout=30) as client:
        for _ in range(REQUESTS):
            client.get(cluster.url + path)
    names = {f"{HOST}:{cluster.node(name).port}": name for name in NODE_NAMES}
    seen: Counter[str] = Counter()
    with log.open() as lines:
        lines.seek(offset)
        for line in lines:
            fields = line.split()
            if len(fields) >= 6 and fields[4] == path.split("?", maxsplit=1)[0]:
                seen[names.get(fields[-2], fields[-2])] += 1
    return seen


def test_the_front_is_routed_to_one_node_and_back_to_three(cluster: Cluster) -> None:
    everywhere = _upstreams_of(cluster, "/")
    try:
        cluster.route_front(["a"], extra_routes={"/__routed__/": [cluster.node("b").port]})
        one = _upstreams_of(cluster, "/")
        extra = _upstreams_of(cluster, "/__routed__/")
        others_alive = all(cluster.parts[f"node-{name}"].alive() for name in ("b", "c"))
    finally:
        cluster.route_front(NODE_NAMES, extra_routes={})
    again = _upstreams_of(cluster, "/")
    figures.record(
        "(0) front routing",
        "requests by node: three / one / three again",
        (f"{dict(everywhere)} / {dict(one)} / {dict(again)}"),
    )

    assert set(everywhere) == {"a", "b", "c"}  # the positive control
    assert one == {"a": REQUESTS}
    assert extra == {"b": REQUESTS}
    assert others_alive
    assert set(again) == {"a", "b", "c"}
    assert "__routed__" not in (cluster.run_dir / "front" / "nginx.conf").read_text()
