"""Comparing the shop's books with the processor's, for the race and crash tests.

``audit(gateway, since=...)`` reads every payment the processor made since a moment and
the shop's orders, and lists what would be wrong: an authorisation (or capture) that made
no order (an orphan), an attempt with more than one payment holding money (a double
charge), an order whose payment holds no money, and a SKU with more units in orders than
in stock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Sum

from bungu import payments
from bungu.catalog.models import SKU
from bungu.orders.models import Order, OrderLine, OrderState


@dataclass
class Audit:
    payments: list[payments.Payment] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # payment ids holding money, no order
    double_charges: list[str] = field(default_factory=list)  # attempt ids
    unpaid_orders: list[str] = field(default_factory=list)  # order numbers
    oversold: list[int] = field(default_factory=list)  # SKU ids

    @property
    def violations(self) -> list[str]:
        return [
            *(f"orphan authorisation {p}" for p in self.orphans),
            *(f"double charge on attempt {a}" for a in self.double_charges),
            *(f"order {n} without money held" for n in self.unpaid_orders),
            *(f"SKU {s} oversold" for s in self.oversold),
        ]

    def states(self) -> Counter[str]:
        return Counter(p.state.value for p in self.payments)


def audit(gateway: payments.Gateway, *, since: datetime) -> Audit:
    """What is wrong between the processor's payments since ``since`` and the shop."""
    found = Audit(payments=gateway.list_payments(created_after=since))
    by_id = {p.id: p for p in found.payments}
    holding = [p for p in found.payments if p.state.holds_money]
    for payment in holding:
        if not Order.objects.filter(payment_id=payment.id, attempt_id=payment.reference).exists():
            found.orphans.append(payment.id)
    per_attempt = Counter(p.reference for p in holding)
    found.double_charges = sorted(ref for ref, n in per_attempt.items() if n > 1)
    for order in Order.objects.exclude(state=OrderState.CANCELLED):
        payment = by_id.get(order.payment_id)
        if payment is not None and not payment.state.holds_money:
            found.unpaid_orders.append(order.number)
    # The database refuses allocated > stock outright; what could still go wrong is more
    # units in orders than the shop has.
    ordered = (
        OrderLine.objects.exclude(order__state=OrderState.CANCELLED)
        .values("sku")
        .annotate(units=Sum("quantity"))
        .filter(units__gt=F("sku__stock"))
    )
    found.oversold = sorted(int(row["sku"]) for row in ordered)
    return found


def units_ordered(sku: SKU) -> int:
    """Units of a SKU in orders that still stand."""
    total = (
        OrderLine.objects.filter(sku=sku)
        .exclude(order__state=OrderState.CANCELLED)
        .aggregate(units=Sum("quantity"))["units"]
    )
    return int(total or 0)
