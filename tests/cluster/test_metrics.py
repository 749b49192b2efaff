"""(14) Each node's metrics (``bungu metrics`` on a loopback port of its own, reading that
node's gunicorn workers): after traffic through nginx, every node has counted exactly the
requests nginx sent it, the task engine's gauges (RQ) are there, and nothing of the metrics
can be read through nginx."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from cluster import Cluster
from cluster.processes import HOST
from tests.cluster import figures

REQUESTS = 60
VIEW = "catalog:brands"
PATH = "/brands/"


def _samples(cluster: Cluster, node: str) -> list[Any]:
    reply = httpx.get(cluster.node(node).metrics_url, timeout=30)
    assert reply.status_code == 200, reply.text[:500]
    return [
        sample for family in text_string_to_metric_families(reply.text) for sample in family.samples
    ]


def _counted(samples: Iterable[Any]) -> int:
    return int(
        sum(
            sample.value
            for sample in samples
            if sample.name == "bungu_http_requests_total"
            and sample.labels == {"view": VIEW, "status": "200"}
        )
    )


def _served_by(cluster: Cluster, log_from: int) -> Counter[str]:
    """From nginx's access log after ``log_from`` bytes: which node answered each 200 GET of
    PATH (the last upstream address when a request was passed on)."""
    by_port = {f"{HOST}:{node.port}": node.name for node in cluster.nodes}
    served: Counter[str] = Counter()
    with (cluster.run_dir / "front" / "access.log").open() as log:
        log.seek(log_from)
        for line in log:
            fields = line.split()
            if fields[2:5] == ["200", "GET", PATH]:
                served[by_port[fields[-2]]] += 1
    return served


def test_each_node_counts_the_requests_it_served_and_its_metrics_stay_off_nginx(
    cluster: Cluster,
) -> None:
    before = {node.name: _counted(_samples(cluster, node.name)) for node in cluster.nodes}
    log_from = (cluster.run_dir / "front" / "access.log").stat().st_size
    with httpx.Client(verify=cluster.tls_context(), timeout=30) as client:
        statuses = Counter(client.get(cluster.url + PATH).status_code for _ in range(REQUESTS))
    assert statuses == {200: REQUESTS}
    served = _served_by(cluster, log_from)
    after = {node.name: _samples(cluster, node.name) for node in cluster.nodes}
    counted = {name: _counted(samples) - before[name] for name, samples in after.items()}
    figures.record(
        "(14) metrics per node",
        f"{PATH} served (nginx's log) / counted (node's metrics)",
        ", ".join(f"{name} {served[name]}/{counted[name]}" for name in sorted(counted)),
    )
    # Each node counted what it served, no more, no less: its own folder of files.
    assert sum(served.values()) == REQUESTS
    assert counted == {node.name: served[node.name] for node in cluster.nodes}
    # Round robin over three nodes: every node served some (the counts differ per node).
    assert all(served[node.name] > 0 for node in cluster.nodes)
    for name, samples in after.items():
        names = {sample.name for sample in samples}
        assert "bungu_tasks_failed" in names, name
        depth = [s for s in samples if s.name == "bungu_task_queue_depth"]
        assert depth, name
        assert all(sample.value >= 0 for sample in depth)


def test_the_metrics_cannot_be_read_through_nginx(cluster: Cluster) -> None:
    # The positive control: straight from a node's listener, the series are there.
    direct = httpx.get(cluster.node("a").metrics_url, timeout=30)
    assert "bungu_http_requests_total" in direct.text
    with httpx.Client(verify=cluster.tls_context(), timeout=30) as client:
        answers = {path: client.get(cluster.url + path) for path in ("/metrics", "/metrics/")}
    figures.record(
        "(14) metrics through nginx",
        "status of /metrics, /metrics/",
        ", ".join(str(answer.status_code) for answer in answers.values()),
    )
    for answer in answers.values():
        assert answer.status_code in {403, 404}
        assert "bungu_http_requests" not in answer.text
    # nginx knows no metrics port at all.
    config = (cluster.run_dir / "front" / "nginx.conf").read_text()
    assert all(f":{node.metrics_port}" not in config for node in cluster.nodes)
    assert all(f":{node.port};" in config or f":{node.port} " in config for node in cluster.nodes)
