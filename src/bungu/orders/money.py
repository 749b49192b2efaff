"""Money as the shop keeps it (``Decimal`` dollars) and as processors take it (integer cents)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Exact integer cents of an amount. Raises ValueError for a fraction of a cent or a
    negative amount: rounding money silently is how totals stop adding up."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"{amount!r} is not an amount of money")
    cents = amount * 100
    if cents != cents.to_integral_value() or cents < 0:
        raise ValueError(f"{amount} is not a whole, non-negative number of cents")
    return int(cents)


def round_money(amount: Decimal) -> Decimal:
    """An amount rounded half up to the cent (sales tax is rounded so)."""
    return amount.quantize(CENT, rounding="ROUND_HALF_UP")


class _Line(Protocol):
    @property
    def line_total(self) -> Decimal: ...


class _Order(Protocol):
    @property
    def subtotal(self) -> Decimal: ...

    @property
    def tax(self) -> Decimal: ...


def lines_amount(
    order: _Order, lines: Iterable[_Line], *, units: Iterable[int] | None = None
) -> Decimal:
    """What some lines of an order cost the customer: their totals and their share of the
    order's sales tax (in proportion, rounded half up). ``units``: for each line, how many of
    its units count (all of them when None)."""
    listed = list(lines)
    counts = list(units) if units is not None else None
    part = Decimal("0.00")
    for index, line in enumerate(listed):
        total = line.line_total
        if counts is not None:
            quantity = getattr(line, "quantity", 1)
            total = round_money(total * counts[index] / quantity)
        part += total
    if not part or not order.subtotal:
        return part
    return part + round_money(order.tax * part / order.subtotal)
