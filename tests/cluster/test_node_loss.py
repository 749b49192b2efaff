"""(8) A node killed (kill -9) under load: GETs through nginx go on through the other nodes
(0 failed beyond those in flight on the dead node), and the supervisor starts the node again:
it serves within NODE_BACK_WITHIN seconds, and nginx sends it requests again; a checkout
whose "Place order" was in flight on the dead node, retried by the client with the same
attempt on another node, makes one order and one charge."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from cluster import Cluster
from cluster.processes import HOST
from tests.cluster import checkout, figures
from tests.cluster.browser import Browser

LOADERS = 4
LOAD_SECONDS = 12.0
KILL_AFTER = 3.0
# The supervisor's first pause (1 s) and a gunicorn start on a busy machine, with room.
NODE_BACK_WITHIN = 90.0
# nginx tries a failed node again after its fail_timeout (5 s): then it gets its share.
NGINX_BACK_WITHIN = 30.0


def _get_load(
    cluster: Cluster, paths: list[str], *, direct_to: str | None = None
) -> dict[str, int]:
    """``LOADERS`` threads GETting ``paths`` in turn for LOAD_SECONDS; counts of outcomes."""
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + LOAD_SECONDS

    def load(number: int) -> None:
        if direct_to is None:
            client = httpx.Client(verify=cluster.tls_context(), timeout=30)
            base, headers = cluster.url, {}
        else:
            client = httpx.Client(timeout=30)
            base = cluster.node(direct_to).url
            headers = {"Host": cluster.host, "X-Forwarded-Proto": "https"}
        turn = number
        with client:
            while time.monotonic() < deadline:
                turn += 1
                try:
                    ok = (
                        client.get(base + paths[turn % len(paths)], headers=headers).status_code
                        == 200
                    )
                except httpx.HTTPError:
                    ok = False
                with lock:
                    counts["ok" if ok else "failed"] += 1
                if not ok and direct_to is not None:
                    time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(LOADERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 60)
    return counts


def _direct_get(cluster: Cluster, node: str, path: str = "/") -> int | None:
    """A GET straight to ``node`` (as nginx sends it); its status, None if refused."""
    try:
        return httpx.get(
            cluster.node(node).url + path,
            headers={"Host": cluster.host, "X-Forwarded-Proto": "https"},
            timeout=30,
        ).status_code
    except httpx.HTTPError:
        return None


def _seconds_until(check: Callable[[], bool], *, since: float, bound: float) -> float | None:
    """Seconds from ``since`` until ``check`` holds, polled; None if not within ``bound``."""
    while time.monotonic() - since < bound:
        if check():
            return time.monotonic() - since
        time.sleep(0.2)
    return None


def _served_through_nginx(cluster: Cluster, node: str, *, log_from: int) -> bool:
    """One GET through nginx; whether any 200 in its access log since ``log_from`` bytes
    came from ``node`` (the last upstream address of the line)."""
    with httpx.Client(verify=cluster.tls_context(), timeout=30) as client:
        client.get(cluster.url + "/brands/")
    address = f"{HOST}:{cluster.node(node).port}"
    with (cluster.run_dir / "front" / "access.log").open() as log:
        log.seek(log_from)
        return any(
            line.split()[2] == "200" and line.split()[-2] == address for line in log if line.strip()
        )


def test_gets_go_on_through_the_other_nodes_when_one_is_killed_and_it_comes_back(
    cluster: Cluster, stock: dict[str, Any]
) -> None:
    paths = ["/", "/brands/", *(sku["path"] for sku in stock["plenty"])]
    results: dict[str, dict[str, int]] = {}
    restarts_before = len(cluster.supervisor.restarts)
    runner = threading.Thread(target=lambda: results.setdefault("front", _get_load(cluster, paths)))
    runner.start()
    time.sleep(KILL_AFTER)
    cluster.crash("node-c")
    killed = time.monotonic()
    # The positive control, at once (the supervisor waits 1 s before it starts the node
    # again): straight to the dead node, GETs fail.
    dead = [_direct_get(cluster, "c") for _ in range(3)]
    runner.join(timeout=LOAD_SECONDS + 90)
    front = results["front"]
    back = _seconds_until(
        lambda: _direct_get(cluster, "c") == 200, since=killed, bound=NODE_BACK_WITHIN
    )
    log_from = (cluster.run_dir / "front" / "access.log").stat().st_size
    via_nginx = _seconds_until(
        lambda: _served_through_nginx(cluster, "c", log_from=log_from),
        since=time.monotonic(),
        bound=NGINX_BACK_WITHIN,
    )
    restarts = [r for r in cluster.supervisor.restarts[restarts_before:] if r.name == "node-c"]
    figures.record(
        "(8) node c killed under GET load",
        "GETs ok / failed through nginx",
        f"{front['ok']} / {front['failed']} (in flight <= {LOADERS})",
    )
    figures.record(
        "(8) positive control", "GETs failed straight to the dead node", dead.count(None)
    )
    figures.record(
        "(8) node c restarted by the supervisor",
        f"serves again after kill -9 (bound {NODE_BACK_WITHIN:g} s)",
        f"{back:.1f} s" if back is not None else "never",
    )
    figures.record(
        "(8) node c restarted by the supervisor",
        f"then served through nginx after (bound {NGINX_BACK_WITHIN:g} s)",
        f"{via_nginx:.1f} s" if via_nginx is not None else "never",
    )
    assert front["ok"] > 0
    assert front["failed"] <= LOADERS
    assert dead == [None, None, None]
    assert back is not None, f"node c did not serve again within {NODE_BACK_WITHIN:g} s"
    assert len(restarts) == 1
    assert restarts[0].exit_code == -9
    assert cluster.supervisor.log is not None
    assert "node-c restarted" in cluster.supervisor.log.read_text()
    assert via_nginx is not None, f"nginx sent node c nothing within {NGINX_BACK_WITHIN:g} s"


def test_a_checkout_in_flight_on_a_killed_node_retried_makes_one_order_and_one_charge(
    cluster: Cluster, browser: Browser, stock: dict[str, Any]
) -> None:
    fields = checkout.to_review(browser, stock["plenty"][3]["path"], node="b")
    attempt = fields["attempt"]
    outcome: dict[str, object] = {}

    def place_on_b() -> None:
        try:
            outcome["page"] = checkout.place(browser, fields, node="b")
        except (httpx.HTTPError, AssertionError) as error:
            outcome["error"] = repr(error)

    placing = threading.Thread(target=place_on_b)
    placing.start()
    time.sleep(0.15)
    cluster.crash("node-b")
    placing.join(timeout=60)
    # The client did not get an answer it can trust, or got one: either way it retries the
    # very same form on another node, as a browser's "try again" does.
    payment_page = checkout.place(browser, fields, node="a")
    done = checkout.pay(cluster, browser, payment_page, node="a")
    cluster.start_node("b")
    assert done.status_code == 200
    assert "/checkout/done/" in str(done.url)
    orders = checkout.orders_of(cluster, attempt)
    held = [p for p in checkout.payments_of(cluster, attempt) if p["state"] in checkout.MONEY_HELD]
    figures.record(
        "(8) checkout in flight on killed node b",
        "first answer / orders / charges",
        f"{'lost' if 'error' in outcome else 'got'} / {orders} / {len(held)}",
    )
    assert orders == 1
    assert len(held) == 1
