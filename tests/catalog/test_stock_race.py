"""The race for the last units: buyers on their own connections at once, exactly K win."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from bungu.catalog import services
from tests.catalog.factories import SKUFactory

BUYERS = 8
UNITS = 3


@pytest.mark.django_db(transaction=True)
def test_many_buyers_for_the_last_units_exactly_k_win():
    sku = SKUFactory(stock=UNITS)
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buyer() -> None:
        start.wait()
        try:
            # The in-memory SQLite test database (shared cache) answers "table is locked" at
            # once instead of waiting as a file database does; PostgreSQL never needs a retry.
            for _ in range(500):
                try:
                    services.hold_stock(lines={sku.pk: 1})
                    result = "won"
                except services.OutOfStock:
                    result = "told sold out"
                except OperationalError:
                    time.sleep(0.01)
                    continue
                break
            else:
                result = "gave up"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buyer) for _ in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sku.refresh_from_db()
    assert sorted(outcomes) == ["told sold out"] * (BUYERS - UNITS) + ["won"] * UNITS
    assert (sku.stock, sku.allocated) == (UNITS, UNITS)
    assert connection.vendor in {"sqlite", "postgresql"}
