"""(7) Read-after-write with the replica: an order placed through node A is at once in "my
orders" through node B, and checkout never reads stock, attempts or orders from the standby.

Today every read goes to the primary (``DATABASE_REPLICA_URL`` is set on the nodes, and is
used once the replica router is merged); these checks hold the router to it. Their positive
controls show that the standby really lags (a write is missing there at first) and that a
read made on the standby is counted by the probe."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from cluster import Cluster
from tests.cluster import checkout, figures, shop
from tests.cluster.browser import Browser

# Tables whose reads decide money and stock: never from a replica that may be behind.
NEVER_FROM_REPLICA = ("catalog_sku", "checkout_checkoutattempt", "orders_order")


def _standby_reads(cluster: Cluster) -> dict[str, int]:
    """Scans of each table made on the standby so far (its own statistics)."""
    assert cluster.standby is not None
    with psycopg.connect(cluster.standby.url, connect_timeout=10, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            (list(NEVER_FROM_REPLICA),),
        ).fetchall()
    return {name: int(count) for name, count in rows}


def _settled_standby_reads(cluster: Cluster) -> dict[str, int]:
    # Backends publish their counts at most once a second.
    time.sleep(1.5)
    return _standby_reads(cluster)


def test_the_standby_lags_behind_the_primary(cluster: Cluster) -> None:
    """The positive control of the read-after-write check: read right after a write, the
    standby does not have it yet (its replay waits 100 ms)."""
    assert cluster.primary is not None
    assert cluster.standby is not None
    with psycopg.connect(cluster.primary.url, autocommit=True) as primary:
        primary.execute("CREATE TABLE IF NOT EXISTS cluster_probe (mark text)")
    time.sleep(1)
    mark = f"mark-{time.time_ns()}"
    with (
        psycopg.connect(cluster.primary.url, autocommit=True) as primary,
        psycopg.connect(cluster.standby.url, autocommit=True) as standby,
    ):
        primary.execute("INSERT INTO cluster_probe VALUES (%s)", (mark,))
        written = time.monotonic()
        query = "SELECT count(*) FROM cluster_probe WHERE mark = %s"
        first: Any = standby.execute(query, (mark,)).fetchone()
        while standby.execute(query, (mark,)).fetchone() == (0,):
            assert time.monotonic() - written < 30
            time.sleep(0.005)
        lag = time.monotonic() - written
    figures.record("(7) replica", "lag of one write on the standby (ms)", f"{lag * 1000:.0f}")
    assert first == (0,)


def test_an_order_placed_through_a_is_at_once_in_my_orders_through_b(
    cluster: Cluster, browser: Browser, stock: dict[str, Any]
) -> None:
    shop.make_customer(cluster, "kenji@example.com", "a long enough password 2")
    form = browser.get("/account/login/", node="a")
    browser.post(
        "/account/login/",
        {
            "csrfmiddlewaretoken": browser.csrf(form),
            "login": "kenji@example.com",
            "password": "a long enough password 2",
        },
        node="a",
    )
    fields = checkout.to_review(browser, stock["plenty"][0]["path"], node="a")
    payment_page = checkout.place(browser, fields, node="a")
    back = checkout.pay_at_processor(cluster, payment_page)
    reads_before = _settled_standby_reads(cluster)
    placed = browser.get(back, node="a", follow=False)
    assert placed.status_code == 302
    assert "/checkout/done/" in placed.headers["location"]
    mine = browser.get("/orders/", node="b")
    seen_at_once = mine.status_code == 200 and fields["attempt"] in _order_attempts(
        cluster, mine.text
    )
    reads_after = _settled_standby_reads(cluster)
    read_there = {name: reads_after[name] - reads_before.get(name, 0) for name in reads_after}
    figures.record(
        "(7) read-after-write", "order placed on A in my orders on B at once", seen_at_once
    )
    figures.record(
        "(7) read-after-write", "stock/attempt/order reads on the standby", sum(read_there.values())
    )
    assert seen_at_once
    assert read_there == dict.fromkeys(read_there, 0)
    # The positive control: a read made on the standby is counted by the probe.
    assert cluster.standby is not None
    with psycopg.connect(cluster.standby.url, autocommit=True) as standby:
        standby.execute("SELECT count(*) FROM catalog_sku WHERE id > 0").fetchone()
    assert _standby_reads_grow(cluster, "catalog_sku", above=reads_after["catalog_sku"])


def _standby_reads_grow(cluster: Cluster, table: str, *, above: int) -> bool:
    """Whether the standby's count of scans of ``table`` goes past ``above`` within 30 s.
    The closed connection's backend publishes its counts as it exits, which on a busy
    machine may come later than the 1.5 s of ``_settled_standby_reads``: polled, not slept."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _standby_reads(cluster).get(table, 0) > above:
            return True
        time.sleep(0.25)
    return False


def _order_attempts(cluster: Cluster, page: str) -> set[str]:
    """The attempts of the orders whose numbers the page shows."""
    assert cluster.primary is not None
    with psycopg.connect(cluster.primary.url) as connection:
        rows = connection.execute("SELECT number, attempt_id FROM orders_order").fetchall()
    return {attempt for number, attempt in rows if number in page}
