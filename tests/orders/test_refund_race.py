"""The refund guard under load: two staff members send partial refunds from the same view of
the order at once, each on its own database connection. One refund is made; the other is
refused as stale, and the processor refunds once."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connections

from bungu.orders import fulfilment, refunds
from bungu.orders.models import Order

from .factories import place_test_order


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_partial_refunds_one_succeeds_the_other_is_refused(gateway):
    order = place_test_order(gateway=gateway)
    fulfilment.ship_lines(
        order=order,
        line_ids=[order.lines.get().pk],
        carrier="ups",
        tracking_number="1Z0000000001",
        actor="staff #1",
    )
    order.refresh_from_db()
    seen = refunds.seen_state(order)
    start = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def staff_member(key: str) -> None:
        start.wait()
        try:
            # The in-memory SQLite test database (shared cache) answers "table is locked" at
            # once where a file database or PostgreSQL waits for the lock.
            for _ in range(500):
                try:
                    refunds.refund_order(
                        order=Order.objects.get(pk=order.pk),
                        amount=Decimal("15.00"),
                        reason="Damaged in transit",
                        idempotency_key=key,
                        seen=seen,
                        actor=f"staff {key}",
                    )
                    result = "refunded"
                except refunds.StaleView as stale:
                    result = "refused: " + str(stale)
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

    threads = [threading.Thread(target=staff_member, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    order.refresh_from_db()
    assert sorted(outcomes)[0] == "refunded"
    assert sorted(outcomes)[1].startswith(f"refused: Order {order.number} changed after you")
    assert "Nothing was refunded" in sorted(outcomes)[1]
    assert order.refunded == Decimal("15.00")
    assert order.refunds.count() == 1
    assert gateway.payments[order.payment_id].refunded == 1500
