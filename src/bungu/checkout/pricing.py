"""What an order costs: the cart's lines checked against available stock, shipping from the
methods table, US sales tax behind a small interface, and a fingerprint of it all.

The review page and "Place order" both price the cart here, from the database, never from
what a form sent; the fingerprint carried by the form says whether they priced the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db.models import Prefetch

from bungu.cart import services as cart_services
from bungu.cart.models import Cart
from bungu.orders.money import round_money

from .models import CheckoutAttempt, ShippingMethod, ShippingRate, TaxRate

ZERO = Decimal("0.00")


# ---------------------------------------------------------------- sales tax
class SalesTax(Protocol):
    """Sales tax for a shipment; a tax service's adapter could take the table's place."""

    def tax_for(
        self, *, country: str, region: str, subtotal: Decimal, shipping: Decimal
    ) -> Decimal:
        """The tax in dollars, rounded to the cent."""


class StateRateTable:
    """US sales tax by the destination state's rate in the ``TaxRate`` table; nothing
    outside the United States or for a state without a row."""

    def tax_for(
        self, *, country: str, region: str, subtotal: Decimal, shipping: Decimal
    ) -> Decimal:
        if country != "US":
            return ZERO
        rate = TaxRate.objects.filter(region=region.strip().upper()).first()
        if rate is None:
            return ZERO
        base = subtotal + (shipping if rate.taxes_shipping else ZERO)
        return round_money(base * rate.rate)


def get_sales_tax() -> SalesTax:
    return StateRateTable()


# ---------------------------------------------------------------- shipping
def list_shipping_methods() -> list[ShippingMethod]:
    """The active methods with their weight bands, in two queries."""
    bands = Prefetch("bands", queryset=ShippingRate.objects.order_by("up_to_grams"))
    return list(ShippingMethod.objects.filter(is_active=True).prefetch_related(bands))


@dataclass(frozen=True)
class ShippingOption:
    method: ShippingMethod
    cost: Decimal


def shipping_options(*, subtotal: Decimal, weight_grams: int) -> list[ShippingOption]:
    """The methods that can carry this order, each with its cost."""
    options = []
    for method in list_shipping_methods():
        cost = method.cost(subtotal=subtotal, weight_grams=weight_grams)
        if cost is not None:
            options.append(ShippingOption(method, cost))
    return options


# ---------------------------------------------------------------- the quote
@dataclass(frozen=True)
class QuoteLine:
    sku_id: int
    sku_code: str
    name: str
    unit_price: Decimal
    quantity: int
    weight_grams: int
    problem: str = ""

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    def snapshot(self) -> dict[str, object]:
        return {
            "sku_id": self.sku_id,
            "sku_code": self.sku_code,
            "name": self.name,
            "unit_price": str(self.unit_price),
            "quantity": self.quantity,
        }


@dataclass(frozen=True)
class Quote:
    lines: list[QuoteLine]
    subtotal: Decimal
    weight_grams: int
    shipping: ShippingOption | None
    tax: Decimal
    problems: list[str] = field(default_factory=list)

    @property
    def shipping_cost(self) -> Decimal:
        return self.shipping.cost if self.shipping else ZERO

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping_cost + self.tax

    @property
    def payable(self) -> bool:
        return bool(self.lines) and self.shipping is not None and not self.problems

    @property
    def stock_lines(self) -> dict[int, int]:
        wanted: dict[int, int] = {}
        for line in self.lines:
            wanted[line.sku_id] = wanted.get(line.sku_id, 0) + line.quantity
        return wanted

    def fingerprint(self, attempt: CheckoutAttempt) -> str:
        """A digest of everything the customer agrees to by placing the order."""
        data = {
            "lines": [[ln.sku_id, ln.quantity, str(ln.unit_price)] for ln in self.lines],
            "to": [attempt.email, *attempt.address_lines(), attempt.phone],
            "shipping": [
                self.shipping.method.code if self.shipping else "",
                str(self.shipping_cost),
            ],
            "tax": str(self.tax),
            "total": str(self.total),
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _problem(view: cart_services.LineView, available: int) -> str:
    if view.state == cart_services.LineState.WITHDRAWN:
        return f"{view.name} is no longer sold: remove it from your cart."
    if available <= 0:
        return f"{view.name} is sold out: remove it from your cart."
    if view.quantity > available:
        return f"Only {available} of {view.name} left: lower the quantity in your cart."
    return ""


def build_quote(*, cart: Cart | None, attempt: CheckoutAttempt) -> Quote:
    """Price the cart for this attempt, from the database: lines (the attempt's own hold
    counted as available to it), shipping by the chosen method, tax by the address. A fixed
    number of queries however many lines."""
    return price_cart(summary=cart_services.view_cart(cart), attempt=attempt)


def price_cart(*, summary: cart_services.CartSummary, attempt: CheckoutAttempt) -> Quote:
    """``build_quote`` for a cart already read (``cart_services.view_cart``), so a page that
    reads it with its request also gives the header's item count without another query."""
    own = attempt.held_lines
    lines = []
    for view in summary.lines:
        available = view.sku.available + own.get(view.sku.pk, 0)
        lines.append(
            QuoteLine(
                sku_id=view.sku.pk,
                sku_code=view.sku.code,
                name=view.name,
                unit_price=view.unit_price,
                quantity=view.quantity,
                weight_grams=view.sku.weight_grams * view.quantity,
                problem=_problem(view, available),
            )
        )
    subtotal = sum((line.total for line in lines), ZERO)
    weight = sum(line.weight_grams for line in lines)
    chosen = None
    if attempt.shipping_method_id is not None:
        options = shipping_options(subtotal=subtotal, weight_grams=weight)
        chosen = next((o for o in options if o.method.pk == attempt.shipping_method_id), None)
    problems = [line.problem for line in lines if line.problem]
    if attempt.shipping_method_id is not None and chosen is None:
        problems.append("The shipping method you chose cannot carry this order: choose another.")
    tax = get_sales_tax().tax_for(
        country=attempt.country,
        region=attempt.region,
        subtotal=subtotal,
        shipping=chosen.cost if chosen else ZERO,
    )
    return Quote(
        lines=lines,
        subtotal=subtotal,
        weight_grams=weight,
        shipping=chosen,
        tax=tax,
        problems=problems,
    )
