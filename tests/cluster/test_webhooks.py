"""(9) The processor's webhooks, each delivered three times at once to random nodes, change
an order once; the reconciler running on two nodes at once voids nothing twice."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from cluster import Cluster
from tests.cluster import checkout, figures
from tests.cluster.browser import Browser

COPIES = 3
ORPHANS = 3


def _webhook_mode(cluster: Cluster, mode: str) -> None:
    answer = httpx.post(
        f"{cluster.processor_url}/v1/test/webhook-mode",
        json={"mode": mode},
        headers={
            "Authorization": f"Bearer {cluster.processor_api_key}",
            "Idempotency-Key": secrets.token_hex(16),
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def webhooks_held_back(cluster: Cluster) -> Iterator[None]:
    """The processor records its events but sends none: the check delivers them itself."""
    _webhook_mode(cluster, "drop")
    yield
    _webhook_mode(cluster, "normal")


def _events(cluster: Cluster, payment_id: str) -> list[tuple[str, str]]:
    """The processor's events of a payment (id, body), from its own database."""
    database = cluster.run_dir / "cardsandbox" / "cardsandbox.sqlite3"
    with sqlite3.connect(database, timeout=30) as connection:
        return connection.execute(
            "SELECT e.public_id, e.body FROM cardsandbox_event e "
            "JOIN cardsandbox_payment p ON p.id = e.payment_id "
            "WHERE p.public_id = ? ORDER BY e.id",
            (payment_id,),
        ).fetchall()


def _deliver(cluster: Cluster, event_id: str, body: str, *, node: str, secret: str) -> int:
    timestamp = int(time.time())
    signed = f"{event_id}.{timestamp}.".encode() + body.encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    answer = httpx.post(
        f"{cluster.node(node).url}/checkout/webhook/",
        content=body.encode(),
        headers={
            "Content-Type": "application/json",
            "Cardsandbox-Event-Id": event_id,
            "Cardsandbox-Timestamp": str(timestamp),
            "Cardsandbox-Signature": f"v1={signature}",
            "Host": cluster.host,
            "X-Forwarded-Proto": "https",
        },
        timeout=60,
    )
    return answer.status_code


def _order_events(cluster: Cluster, attempt: str) -> int:
    assert cluster.primary is not None
    with psycopg.connect(cluster.primary.url, connect_timeout=10) as connection:
        row = connection.execute(
            "SELECT count(*) FROM orders_orderevent e JOIN orders_order o ON o.id = e.order_id "
            "WHERE o.attempt_id = %s",
            (attempt,),
        ).fetchone()
    return int(row[0]) if row else 0


def _paid_without_returning(
    cluster: Cluster, browser: Browser, product_path: str
) -> tuple[str, str]:
    """A guest pays on the processor's page and closes the tab before coming back: the
    attempt and the payment's id."""
    fields = checkout.to_review(browser, product_path, node=None)
    payment_page = checkout.place(browser, fields, node=None)
    with httpx.Client(timeout=30) as processor:
        page = processor.get(payment_page)
        path = httpx.URL(payment_page).path
        form = checkout.buyers.form_posting_to(page.text, path, page_url=payment_page, step="pay")
        paid = processor.post(
            payment_page,
            data=form.filled(checkout.buyers.APPROVED_CARD),
            headers={"Origin": cluster.processor_url, "Referer": payment_page},
        )
    assert paid.status_code in {302, 303}
    (payment,) = checkout.payments_of(cluster, fields["attempt"])
    assert payment["state"] == "authorised"
    return fields["attempt"], payment["id"]


def test_webhooks_delivered_three_times_to_random_nodes_change_the_order_once(
    cluster: Cluster, browser: Browser, stock: dict[str, Any], webhooks_held_back: None
) -> None:
    attempt, payment_id = _paid_without_returning(cluster, browser, stock["plenty"][0]["path"])
    events = _events(cluster, payment_id)
    assert events, "the processor recorded no event for the payment"
    # The positive control: nothing made the order yet, and a forged signature is refused.
    assert checkout.orders_of(cluster, attempt) == 0
    forged = _deliver(cluster, events[0][0], events[0][1], node="a", secret="whsec_not_ours")
    assert 400 <= forged < 500
    assert checkout.orders_of(cluster, attempt) == 0

    statuses: list[int] = []
    lock = threading.Lock()

    def deliver(event_id: str, body: str) -> None:
        status = _deliver(
            cluster,
            event_id,
            body,
            node=secrets.choice("abc"),
            secret=cluster.webhook_secret,
        )
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=deliver, args=event) for event in events for _ in range(COPIES)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == COPIES * len(events)
    assert all(200 <= status < 300 for status in statuses), statuses
    assert checkout.orders_of(cluster, attempt) == 1
    changes = _order_events(cluster, attempt)
    # Once more, one by one: nothing changes any more.
    for event_id, body in events:
        assert (
            200 <= _deliver(cluster, event_id, body, node="c", secret=cluster.webhook_secret) < 300
        )
    assert _order_events(cluster, attempt) == changes
    held = [p for p in checkout.payments_of(cluster, attempt) if p["state"] in checkout.MONEY_HELD]
    figures.record(
        "(9) webhooks x3 to random nodes",
        "deliveries / orders / order events / charges",
        f"{len(statuses)} / 1 / {changes} / {len(held)}",
    )
    assert len(held) == 1


def _reconcile_on(cluster: Cluster, node: str) -> subprocess.Popen[str]:
    env = cluster.shop_env(cluster.node(node).var_dir) | {"BUNGU_PAYMENT_VOID_GRACE_MINUTES": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "bungu", "reconcile_payments"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_reconciler_on_two_nodes_at_once_voids_each_orphan_once(
    cluster: Cluster, stock: dict[str, Any], webhooks_held_back: None
) -> None:
    # Authorisations earlier checks may have left behind are voided first, so the counts
    # below are this check's own.
    leftovers = _reconcile_on(cluster, "a")
    leftovers.communicate(timeout=300)
    assert leftovers.returncode == 0
    orphans: list[str] = []
    for number in range(ORPHANS):
        browser = Browser(cluster)
        try:
            _attempt, payment_id = _paid_without_returning(
                cluster, browser, stock["plenty"][number % 4]["path"]
            )
            # The guest goes back and changes the cart: the paid attempt is abandoned, so
            # its authorisation must be voided, not made an order.
            product = browser.get(stock["plenty"][(number + 1) % 4]["path"])
            form = checkout.buyers.form_posting_to(
                product.text, "/cart/add/", page_url=str(product.url), step="add"
            )
            browser.post("/cart/add/", form.filled({"quantity": "2"}))
            assert browser.get("/checkout/review/").status_code == 200
        finally:
            browser.close()
        orphans.append(payment_id)
    runs = [_reconcile_on(cluster, "a"), _reconcile_on(cluster, "b")]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    voided_counts = [
        int(out.split(" authorisations voided")[0].rsplit(", ", 1)[-1]) for out, _ in outputs
    ]
    states = {}
    for payment_id in orphans:
        answer = httpx.get(
            f"{cluster.processor_url}/v1/payments/{payment_id}",
            headers={"Authorization": f"Bearer {cluster.processor_api_key}"},
            timeout=30,
        )
        states[payment_id] = answer.json()["state"]
    figures.record(
        "(9) reconciler on nodes a and b at once",
        "orphans / voids reported (a + b)",
        f"{ORPHANS} / {voided_counts[0]} + {voided_counts[1]}",
    )
    assert set(states.values()) == {"voided"}
    # Each orphan reported by one of the two runs, none by both: when both read it authorised
    # before either voided it, the processor voids it once and the attempt's release stamp
    # tells the second run it was not its own.
    assert sum(voided_counts) == ORPHANS
