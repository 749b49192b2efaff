"""What the back office's order pages read about the people behind an order (P13).

The order's own record (its number, lines, states, amounts and events) is the shop's account
of a sale and is shown to the roles whose purposes may see purchase history. The person
behind it (name, address, e-mail, phone, card, gift note) comes only through
``bungu.privacy.access`` for the page's purpose, which logs the look: customer service sees
what it needs to answer the customer, fulfilment only what packing needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from bungu.orders import fulfilment
from bungu.orders.models import Order
from bungu.privacy import Purpose, access, fields_for

ADDRESS = fulfilment.SHIP_TO
# What each page asks for; ``fields_for`` then trims it to what the notice in force allows.
WANTED: dict[Purpose, list[str]] = {
    Purpose.CUSTOMER_SERVICE: [
        "number",
        "email",
        *ADDRESS,
        "ship_phone",
        "card_brand",
        "card_last4",
        "gift_note",
    ],
    # Packing needs the ship-to and the gift note: no e-mail, no phone, no card (P13); a
    # fulfilment warehouse's pick list (the agents' API) asks for the same.
    Purpose.FULFILMENT: fulfilment.PACKING_FIELDS,
}


@dataclass(frozen=True)
class OrderPerson:
    """The order's personal values handed over for one purpose, by field name."""

    purpose: Purpose
    values: dict[str, Any]
    # Field names the rule of P25 kept back, or which the purpose may not see.
    withheld: list[str] = field(default_factory=list)
    # False for a guest's order: there is no account whose access log could hold the look.
    logged: bool = True

    @property
    def address_lines(self) -> list[str]:
        get = self.values.get
        place = " ".join(
            str(p) for p in (get("ship_city"), get("ship_region"), get("ship_postal_code")) if p
        )
        parts = [get("ship_recipient"), get("ship_line1"), get("ship_line2"), place]
        parts.append(get("ship_country"))
        return [str(p) for p in parts if p]

    @property
    def card(self) -> str:
        last4 = self.values.get("card_last4")
        return f"{self.values.get('card_brand') or 'Card'} ending in {last4}" if last4 else ""


def read_order_person(*, order: Order, purpose: Purpose, member: AbstractBaseUser) -> OrderPerson:
    """The order's personal values for the purpose, through the privacy accessor (logged).
    Raises PurposeNotAllowed (after the accessor logged the refusal)."""
    allowed = {item.label for item in fields_for(purpose)}
    labels = [
        f"orders.Order.{name}" for name in WANTED[purpose] if f"orders.Order.{name}" in allowed
    ]
    refused = [name for name in WANTED[purpose] if f"orders.Order.{name}" not in allowed]
    if order.customer_id is None:
        # A guest's order: the same fields, the same purpose rule; no account to log against.
        values = {
            label.rsplit(".", 1)[1]: getattr(order, label.rsplit(".", 1)[1]) for label in labels
        }
        return OrderPerson(purpose, values, refused, logged=False)
    data = access(subject=order.customer_id, purpose=purpose, actor=member, fields=labels)
    rows = data.records["orders.Order"]
    row = next((r for r in rows if r.get("number") == order.number), None)
    if row is None:
        return OrderPerson(purpose, {}, [label.rsplit(".", 1)[1] for label in labels])
    withheld = [label.rsplit(".", 1)[1] for label in labels if label.rsplit(".", 1)[1] not in row]
    return OrderPerson(purpose, dict(row), refused + withheld)
