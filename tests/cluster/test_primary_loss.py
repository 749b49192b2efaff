"""(11) The PostgreSQL primary killed (kill -9) in the middle of a checkout load, then
started again: every order a buyer saw confirmed is in the database afterwards (0
acknowledged orders lost)."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx
import psycopg

from cluster import Cluster
from tests.cluster import figures, shop

BUYERS = 3
# The primary is killed once this many orders were confirmed (or after WARM_UP_LIMIT s),
# kept down DOWN_FOR s, and the load goes on LOAD_AFTER s once it is back.
ORDERS_BEFORE = 3
WARM_UP_LIMIT = 60.0
DOWN_FOR = 3.0
LOAD_AFTER = 15.0
_NUMBER = re.compile(r"your order (\S+) is placed")


class _Witness(shop.buyers.Buyer):  # type: ignore[misc]
    """A buyer who keeps the last page the shop showed (the confirmation, when it came)."""

    last_page: httpx.Response | None = None

    def _go(self, *args: Any, **kwargs: Any) -> httpx.Response:
        page: httpx.Response = super()._go(*args, **kwargs)
        self.last_page = page
        return page


def _missing(cluster: Cluster, numbers: list[str]) -> list[str]:
    assert cluster.primary is not None
    with psycopg.connect(cluster.primary.url, connect_timeout=10) as connection:
        found = {
            row[0]
            for row in connection.execute(
                "SELECT number FROM orders_order WHERE number = ANY(%s)", (numbers,)
            ).fetchall()
        }
    return [number for number in numbers if number not in found]


def test_no_acknowledged_order_is_lost_when_the_primary_is_killed(
    cluster: Cluster, stock: dict[str, Any]
) -> None:
    acknowledged: list[tuple[float, str]] = []
    failed: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop = threading.Event()

    def buy(number: int) -> None:
        person = _Witness(shop_url=cluster.url, product_path=stock["plenty"][number]["path"])
        person.client.close()
        person.client = httpx.Client(verify=cluster.tls_context(), timeout=30)
        try:
            while not stop.is_set():
                person.new_browser()
                outcome = person.buy()
                page = person.last_page
                found = _NUMBER.search(page.text) if outcome.confirmed and page else None
                with lock:
                    if found:
                        acknowledged.append((time.monotonic() - started, found.group(1)))
                    else:
                        failed.append(outcome.error[:120])
                if not outcome.confirmed:
                    time.sleep(0.3)
        finally:
            person.close()

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < ORDERS_BEFORE and time.monotonic() - started < WARM_UP_LIMIT:
        time.sleep(0.2)
    cluster.crash("postgres-primary")
    crashed_at = time.monotonic() - started
    time.sleep(DOWN_FOR)
    cluster.restart_primary()
    back_at = time.monotonic() - started
    time.sleep(LOAD_AFTER)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    numbers = [number for _, number in acknowledged]
    lost = _missing(cluster, numbers)
    before = sum(1 for at, _ in acknowledged if at < crashed_at)
    after = sum(1 for at, _ in acknowledged if at > back_at)
    figures.record(
        "(11) primary kill -9 under checkout load",
        "acknowledged (before / after) / failed / lost",
        f"{len(numbers)} ({before} / {after}) / {len(failed)} / {len(lost)}",
    )
    # The positive control: the check does report an order the database does not have.
    assert _missing(cluster, ["NOT-AN-ORDER"]) == ["NOT-AN-ORDER"]
    assert before > 0, f"no order was confirmed before the crash: {failed[:5]}"
    assert after > 0, f"no order was confirmed after the primary came back: {failed[-5:]}"
    assert lost == []
