"""(8) A node killed (kill -9) under load: GETs through nginx go on through the other nodes
(0 failed beyond those in flight on the dead node); a checkout whose "Place order" was in
flight on the dead node, retried by the client with the same attempt on another node, makes
one order and one charge."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from cluster import Cluster
from tests.cluster import checkout, figures
from tests.cluster.browser import Browser

LOADERS = 4
LOAD_SECONDS = 12.0
KILL_AFTER = 3.0


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


def test_gets_go_on_through_the_other_nodes_when_one_is_killed(
    cluster: Cluster, stock: dict[str, Any]
) -> None:
    paths = ["/", "/brands/", *(sku["path"] for sku in stock["plenty"])]
    results: dict[str, dict[str, int]] = {}
    runner = threading.Thread(target=lambda: results.setdefault("front", _get_load(cluster, paths)))
    runner.start()
    time.sleep(KILL_AFTER)
    cluster.crash("node-c")
    runner.join(timeout=LOAD_SECONDS + 90)
    front = results["front"]
    # The positive control: the same load sent straight to the dead node counts its failures.
    dead = _get_load(cluster, paths[:1], direct_to="c")
    cluster.start_node("c")
    figures.record(
        "(8) node c killed under GET load",
        "GETs ok / failed through nginx",
        f"{front['ok']} / {front['failed']} (in flight <= {LOADERS})",
    )
    figures.record("(8) positive control", "GETs failed straight to the dead node", dead["failed"])
    assert front["ok"] > 0
    assert front["failed"] <= LOADERS
    assert dead["ok"] == 0
    assert dead["failed"] > 0


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
