"""The three states an order carries, and every move between them, as one table.

An order has three separate states: the order's own (where it is in its life), the money's
(what the card processor holds for it) and each line's fulfilment. They move independently:
an order can be shipped while its money is partly refunded, and one line can be returned
while the others are not. ``TRANSITIONS`` is the single table of allowed moves; each row
names the service that makes it (in ``orders.services``, ``orders.fulfilment``,
``orders.refunds`` or ``orders.returns``), and that service writes the order's event.
A move not in the table is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models


class OrderState(models.TextChoices):
    PLACED = "placed", "Placed"  # the payment is authorised; nothing picked yet
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"  # lines are being picked
    PARTLY_SHIPPED = "partly_shipped", "Partly shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    RETURNED = "returned", "Returned"  # every shipped unit came back


class PaymentState(models.TextChoices):
    AUTHORISED = "authorised", "Authorised"
    CAPTURED = "captured", "Captured"
    PARTLY_REFUNDED = "partly_refunded", "Partly refunded"
    REFUNDED = "refunded", "Refunded"
    VOIDED = "voided", "Voided"


class LineState(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PICKED = "picked", "Picked"
    SHIPPED = "shipped", "Shipped"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"  # will not ship (cancelled, or left out and released)


class Machine(StrEnum):
    ORDER = "order"
    PAYMENT = "payment"
    LINE = "line"


@dataclass(frozen=True)
class Transition:
    machine: Machine
    source: str
    target: str
    # The service that makes this move (and writes its event).
    service: str


O, P, L = OrderState, PaymentState, LineState  # noqa: E741 - the table reads better short
_M = Machine

TRANSITIONS: tuple[Transition, ...] = (
    # The order's life.
    Transition(_M.ORDER, O.PLACED, O.IN_FULFILMENT, "fulfilment.pick_lines"),
    Transition(_M.ORDER, O.PLACED, O.PARTLY_SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.ORDER, O.PLACED, O.SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.ORDER, O.IN_FULFILMENT, O.PARTLY_SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.ORDER, O.IN_FULFILMENT, O.SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.ORDER, O.PARTLY_SHIPPED, O.SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.ORDER, O.SHIPPED, O.DELIVERED, "fulfilment.mark_delivered"),
    Transition(_M.ORDER, O.PLACED, O.CANCELLED, "services.cancel_order"),
    Transition(_M.ORDER, O.IN_FULFILMENT, O.CANCELLED, "services.cancel_order"),
    Transition(_M.ORDER, O.SHIPPED, O.RETURNED, "returns.receive_return"),
    Transition(_M.ORDER, O.DELIVERED, O.RETURNED, "returns.receive_return"),
    # The money's.
    Transition(_M.PAYMENT, P.AUTHORISED, P.CAPTURED, "fulfilment.ship_lines"),
    Transition(_M.PAYMENT, P.AUTHORISED, P.VOIDED, "services.cancel_order"),
    Transition(_M.PAYMENT, P.CAPTURED, P.PARTLY_REFUNDED, "refunds.refund_order"),
    Transition(_M.PAYMENT, P.CAPTURED, P.REFUNDED, "refunds.refund_order"),
    Transition(_M.PAYMENT, P.PARTLY_REFUNDED, P.PARTLY_REFUNDED, "refunds.refund_order"),
    Transition(_M.PAYMENT, P.PARTLY_REFUNDED, P.REFUNDED, "refunds.refund_order"),
    # Each line's fulfilment.
    Transition(_M.LINE, L.WAITING, L.PICKED, "fulfilment.pick_lines"),
    Transition(_M.LINE, L.WAITING, L.SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.LINE, L.PICKED, L.SHIPPED, "fulfilment.ship_lines"),
    Transition(_M.LINE, L.WAITING, L.CANCELLED, "fulfilment.ship_lines"),
    Transition(_M.LINE, L.PICKED, L.CANCELLED, "fulfilment.ship_lines"),
    Transition(_M.LINE, L.SHIPPED, L.RETURNED, "returns.receive_return"),
)


def targets(machine: Machine, source: str) -> frozenset[str]:
    """Where the table lets a state of a machine go."""
    return frozenset(t.target for t in TRANSITIONS if t.machine == machine and t.source == source)


def allowed(machine: Machine, source: str, target: str) -> bool:
    return target in targets(machine, source)


class TransitionRefused(Exception):  # noqa: N818 - a domain noun
    """A move the table does not allow; the message says which, for a person."""


_CHOICES: dict[Machine, type[models.TextChoices]] = {
    Machine.ORDER: OrderState,
    Machine.PAYMENT: PaymentState,
    Machine.LINE: LineState,
}


def label(machine: Machine, value: str) -> str:
    """A state as a person reads it: "in fulfilment", "partly refunded"."""
    return str(_CHOICES[machine](value).label).lower()


def require(machine: Machine, source: str, target: str, *, what: str) -> None:
    """Raise TransitionRefused unless the table allows the move."""
    if not allowed(machine, source, target):
        raise TransitionRefused(
            f"{what} is {label(machine, source)}, so it cannot become "
            f"{label(machine, target)}. Nothing was changed."
        )
