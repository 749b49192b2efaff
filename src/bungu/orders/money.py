"""Money as the shop keeps it (``Decimal`` dollars) and as processors take it (integer cents)."""

from __future__ import annotations

from decimal import Decimal

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
