"""(4) A rate limit kept in the shared store is exact under concurrency across the nodes:
100 calls at once to the agents' API with one token, spread over the three nodes, against
a limit of 3 a minute: exactly 3 are answered, 97 refused with 429."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import redis

from cluster import Cluster
from tests.cluster import figures
from tests.cluster.conftest import API_CALLS_PER_MINUTE

CALLS = 100
NODES = ("a", "b", "c")


def _token(cluster: Cluster, company: str) -> str:
    cluster.manage_output(
        "agents", "add", "--company", company, "--functions", "search", "--contact", "Ops desk"
    )
    printed = cluster.manage_output(
        "agents", "issue-token", "--company", company, "--function", "search"
    )
    return printed.strip().splitlines()[-1].strip()


def _burst(cluster: Cluster, token: str) -> Counter[int]:
    """``CALLS`` calls released together behind a barrier, node by node in turn."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(CALLS)
    clients = [httpx.Client(timeout=60) for _ in range(CALLS)]

    def call(number: int) -> None:
        node = cluster.node(NODES[number % len(NODES)])
        barrier.wait()
        try:
            answer = clients[number].get(
                f"{node.url}/api/v1/search/catalogue?per_page=1",
                headers={
                    "Authorization": f"Bearer {token}",
                    "Host": cluster.host,
                    "X-Forwarded-Proto": "https",
                    "X-Forwarded-For": "127.0.0.1",
                },
            )
            status = answer.status_code
        except httpx.HTTPError:
            status = 0
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=call, args=(number,)) for number in range(CALLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in clients:
        client.close()
    return statuses


def test_100_concurrent_calls_across_the_nodes_get_exactly_the_limit(cluster: Cluster) -> None:
    token = _token(cluster, "Limit Test Co")
    statuses = _burst(cluster, token)
    other_statuses = sum(statuses.values()) - statuses[200] - statuses[429]
    figures.record(
        "(4) rate limit 3/min, 100 calls",
        "accepted / 429 / other",
        f"{statuses[200]} / {statuses[429]} / {other_statuses}",
    )
    assert statuses == Counter({200: API_CALLS_PER_MINUTE, 429: CALLS - API_CALLS_PER_MINUTE})
    # The positive control: the count is in the shared store (Redis), each call counted once.
    store = redis.Redis(host="127.0.0.1", port=cluster.redis_port, db=0)
    counters = [
        int(store.get(key) or 0)
        for key in store.scan_iter(match="*bungu:throttle:api-token:*")
        if b":start" not in key
    ]
    assert counters == [CALLS]
    # ... and the limit is per token: another token has its own three.
    other = _burst(cluster, _token(cluster, "Second Limit Co"))
    assert other[200] == API_CALLS_PER_MINUTE
