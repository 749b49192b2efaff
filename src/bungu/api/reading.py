"""What an agent reads of the person behind an order: through the privacy gate only (P13).

The fields an endpoint wants are first trimmed to what the data map and the notice in force
let this agent's function have (``privacy.fields_for`` for ``agent:<function>``), then read
with ``privacy.access``, which applies the rule of P25 value by value and writes the
customer's access-log entry naming the agent's company, the function and the order. A
guest's order has no account, so no log to write: its values pass the same trimming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bungu import privacy
from bungu.catalog.models import SKU
from bungu.orders.models import Order

from .gate import actor_of
from .models import AgentToken

# The order's fields under the names the API gives them.
API_NAMES = {
    "ship_recipient": "name",
    "ship_line1": "line1",
    "ship_line2": "line2",
    "ship_city": "city",
    "ship_region": "region",
    "ship_postal_code": "postal_code",
    "ship_country": "country",
    "ship_phone": "phone",
    "gift_note": "gift_note",
    "number": "order",
}


@dataclass(frozen=True)
class Person:
    # Field name -> value, of what was handed over.
    values: dict[str, Any]
    # Field names wanted but not handed over (the notice or the rule of P25 refused them).
    withheld: list[str] = field(default_factory=list)

    def named(self, names: list[str]) -> dict[str, Any]:
        """The values of ``names`` that were handed over, under their API names."""
        return {API_NAMES[name]: self.values[name] for name in names if name in self.values}


def read_person(
    *, order: Order, token: AgentToken, purpose: privacy.Purpose, wanted: list[str]
) -> Person:
    """The order's personal values that the token's function may have for the purpose."""
    recipient = f"agent:{token.function}"
    allowed = {item.label for item in privacy.fields_for(purpose, recipient=recipient)}
    names = [name for name in wanted if f"orders.Order.{name}" in allowed]
    refused = [name for name in wanted if name not in names]
    if not names:
        return Person({}, refused)
    if order.customer_id is None:
        return Person({name: getattr(order, name) for name in names}, refused)
    try:
        data = privacy.access(
            subject=order.customer_id,
            purpose=purpose,
            actor=actor_of(token),
            fields=[f"orders.Order.{name}" for name in names],
            regarding=f"order {order.number}",
        )
    except privacy.PurposeNotAllowed:
        # Nothing of it may be handed over; the refusal is in the customer's log.
        return Person({}, wanted)
    keys = data.keys.get("orders.Order", [])
    row = data.records["orders.Order"][keys.index(order.pk)] if order.pk in keys else {}
    return Person(dict(row), refused + [name for name in names if name not in row])


def variant_of(sku: SKU | None) -> str:
    """The SKU's variant as a packer reads it ("0.5 mm black, pack of 3")."""
    if sku is None:
        return ""
    parts = [sku.tip_size, sku.ink_colour, sku.body_colour, sku.paper_size]
    text = " ".join(part for part in parts if part)
    if sku.pack_size > 1:
        text = f"{text}, pack of {sku.pack_size}" if text else f"pack of {sku.pack_size}"
    return text
