"""Fulfilment: pick lines, ship them (capturing their money), mark the order delivered.

The money follows what ships. The card processor captures once per payment and releases
whatever it did not capture, so the shop cannot capture parcel by parcel:
- a shipment that completes the order captures what the order still owes and nothing more;
- a first shipment after which nothing else will ship (``release_rest``: the rest is out of
  stock or dropped) captures only the shipped lines (their price, their share of the tax and
  the shipping), and the authorisation for the rest is released with it;
- a first shipment with more to follow captures the order's whole amount then, because a
  second capture would be refused; the later parcels say they were paid at the first one.
  Should they never ship, staff refund them (``refunds.refund_order``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bungu import payments
from bungu.catalog import services as catalog_services
from bungu.mail import services as mail_services

from . import services as order_services
from .models import Order, OrderEvent, OrderLine, Shipment
from .money import lines_amount, to_cents
from .services import OrderError
from .states import LineState, Machine, OrderState, PaymentState, require

SHIPPED_MAIL = "order.shipped"

# P13: what packing needs of the person behind an order, the same for the fulfilment role's
# packing slip and a fulfilment warehouse's pick list: the ship-to and the gift note; no
# e-mail, no phone, no prices, no payment. Field names of ``Order``.
SHIP_TO = [
    "ship_recipient",
    "ship_line1",
    "ship_line2",
    "ship_city",
    "ship_region",
    "ship_postal_code",
    "ship_country",
]
PACKING_FIELDS = ["number", *SHIP_TO, "gift_note"]


class TrackingStatus(StrEnum):
    """What a carrier may report of a parcel."""

    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


_TRACKING = re.compile(r"^[A-Za-z0-9-]{4,40}$")


@dataclass(frozen=True)
class Carrier:
    name: str
    # The tracking page, with ``{number}`` for the tracking number.
    tracking_url: str


# The carriers the shop hands parcels to (data, one line each).
CARRIERS: dict[str, Carrier] = {
    "usps": Carrier("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    "ups": Carrier("UPS", "https://www.ups.com/track?tracknum={number}"),
    "fedex": Carrier("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    "dhl": Carrier("DHL", "https://www.dhl.com/track?tracking-id={number}"),
}


class ShipmentRefused(OrderError):  # noqa: N818 - a domain noun
    """A shipment that cannot be recorded; the message says why. Nothing changed."""


def tracking_url(shipment: Shipment) -> str:
    carrier = CARRIERS.get(shipment.carrier)
    return carrier.tracking_url.format(number=shipment.tracking_number) if carrier else ""


def _lines_of(order: Order, line_ids: Iterable[int]) -> list[OrderLine]:
    wanted = sorted(set(line_ids))
    if not wanted:
        raise ShipmentRefused("Choose at least one line.")
    lines = list(order.lines.filter(pk__in=wanted))
    if len(lines) != len(wanted):
        raise ShipmentRefused(f"Some of the chosen lines are not in order {order.number}.")
    return lines


@transaction.atomic
def pick_lines(*, order: Order, line_ids: Sequence[int], actor: str) -> Order:
    """Mark waiting lines as picked; a placed order is then in fulfilment. Raises
    ShipmentRefused or TransitionRefused (then nothing changed)."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    lines = _lines_of(locked, line_ids)
    for line in lines:
        require(Machine.LINE, line.state, LineState.PICKED, what=f"Line {line.sku_code}")
    if locked.state != OrderState.IN_FULFILMENT:
        require(Machine.ORDER, locked.state, OrderState.IN_FULFILMENT, what=f"Order {order.number}")
        locked.state = OrderState.IN_FULFILMENT
        locked.save(update_fields=["state"])
    OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(state=LineState.PICKED)
    OrderEvent.objects.create(
        order=locked,
        kind=OrderEvent.Kind.PICKED,
        actor=actor,
        detail=", ".join(f"{line.quantity} x {line.sku_code}" for line in lines)[:300],
    )
    return locked


def _capture(order: Order, amount: Decimal) -> None:
    gateway = payments.get_gateway()
    try:
        gateway.capture(
            order.payment_id, amount=to_cents(amount), idempotency_key=f"capture-{order.number}"
        )
    except payments.ProcessorUnavailable:
        raise ShipmentRefused(
            "The card processor did not answer, so nothing was marked shipped and nothing was "
            "captured. Try again in a few minutes."
        ) from None
    except payments.ProcessorRefused as error:
        raise ShipmentRefused(
            f"The card processor refused the capture ({error}); nothing was marked shipped."
        ) from None


def _units(lines: Iterable[OrderLine]) -> dict[int, int]:
    """SKU id -> units of the lines (a line whose SKU was deleted holds no stock)."""
    units: dict[int, int] = {}
    for line in lines:
        if line.sku_id is not None:
            units[line.sku_id] = units.get(line.sku_id, 0) + line.quantity
    return units


def _release_lines(lines: list[OrderLine]) -> None:
    """Lines that will not ship: cancelled, their stock given back."""
    for line in lines:
        require(Machine.LINE, line.state, LineState.CANCELLED, what=f"Line {line.sku_code}")
    OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(state=LineState.CANCELLED)
    freed = _units(lines)
    if freed:
        catalog_services.release_stock(lines=freed)


@transaction.atomic
def ship_lines(
    *,
    order: Order,
    line_ids: Sequence[int],
    carrier: str,
    tracking_number: str,
    actor: str,
    release_rest: bool = False,
) -> Shipment:
    """Record that the lines left in one parcel: their stock is consumed, their money is
    captured (see the module's note), and the customer gets a shipping e-mail with the
    tracking link after commit. ``release_rest``: nothing else of the order will ship; its
    lines are cancelled, their stock and authorisation released. Raises ShipmentRefused or
    TransitionRefused; then nothing changed, at the shop or at the processor."""
    if carrier not in CARRIERS:
        raise ShipmentRefused(f"Choose a carrier ({', '.join(sorted(CARRIERS))}).")
    tracking_number = tracking_number.strip()
    if not _TRACKING.fullmatch(tracking_number):
        raise ShipmentRefused("A tracking number is 4 to 40 letters, digits or hyphens.")
    locked = Order.objects.select_for_update().get(pk=order.pk)
    lines = _lines_of(locked, line_ids)
    for line in lines:
        require(Machine.LINE, line.state, LineState.SHIPPED, what=f"Line {line.sku_code}")
    chosen = {line.pk for line in lines}
    open_lines = [
        line
        for line in locked.lines.all()
        if line.state in {LineState.WAITING, LineState.PICKED} and line.pk not in chosen
    ]
    released = open_lines if release_rest else []
    completes = not open_lines or release_rest
    target = OrderState.SHIPPED if completes else OrderState.PARTLY_SHIPPED
    if locked.state != target:
        require(Machine.ORDER, locked.state, target, what=f"Order {order.number}")

    captured = Decimal("0.00")
    if locked.payment_state == PaymentState.AUTHORISED:
        require(Machine.PAYMENT, locked.payment_state, PaymentState.CAPTURED, what="The payment")
        captured = locked.total - lines_amount(locked, released)
        _capture(locked, captured)
        locked.payment_state = PaymentState.CAPTURED
        locked.captured = captured

    shipment = Shipment.objects.create(
        order=locked,
        carrier=carrier,
        tracking_number=tracking_number,
        captured=captured,
        actor=actor,
    )
    consumed = _units(lines)
    if consumed:
        catalog_services.consume_stock(lines=consumed)
    OrderLine.objects.filter(pk__in=chosen).update(state=LineState.SHIPPED, shipment=shipment)
    if released:
        _release_lines(released)
    locked.state = target
    locked.save(update_fields=["state", "payment_state", "captured"])

    shipped = ", ".join(f"{line.quantity} x {line.sku_code}" for line in lines)
    detail = f"{CARRIERS[carrier].name} {tracking_number}: {shipped}"
    if released:
        detail += "; will not ship: " + ", ".join(line.sku_code for line in released)
    OrderEvent.objects.create(
        order=locked, kind=OrderEvent.Kind.SHIPPED, actor=actor, detail=detail[:300]
    )
    if captured:
        rest = locked.total - captured
        note = f"Captured {captured} {locked.currency}"
        note += (
            f"; {rest} released." if rest else " (the whole order: the processor captures once)."
        )
        OrderEvent.objects.create(
            order=locked, kind=OrderEvent.Kind.CAPTURED, actor=actor, detail=note
        )
    transaction.on_commit(partial(send_shipping_mail, shipment_id=shipment.pk))
    return shipment


@transaction.atomic
def mark_delivered(*, order: Order, actor: str) -> Order:
    """The carrier delivered the order. Raises TransitionRefused (nothing changed)."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    require(Machine.ORDER, locked.state, OrderState.DELIVERED, what=f"Order {order.number}")
    locked.state = OrderState.DELIVERED
    locked.save(update_fields=["state"])
    OrderEvent.objects.create(order=locked, kind=OrderEvent.Kind.DELIVERED, actor=actor)
    return locked


@transaction.atomic
def record_tracking_event(
    *, shipment: Shipment, status: TrackingStatus, detail: str, at: datetime, actor: str
) -> OrderEvent:
    """Note what the carrier reports of a parcel on its order's events. A parcel reported
    delivered delivers the order once nothing else is left to ship (an order partly shipped
    waits for its other parcels). Raises ShipmentRefused (nothing changed) for a parcel of a
    cancelled order."""
    locked = Order.objects.select_for_update().get(pk=shipment.order_id)
    if locked.state == OrderState.CANCELLED:
        raise ShipmentRefused(f"Order {locked.number} is cancelled.")
    text = f"{CARRIERS[shipment.carrier].name} {shipment.tracking_number}: {status.label}"
    if detail.strip():
        text += f" ({detail.strip()})"
    text += f", {timezone.localtime(at):%Y-%m-%d %H:%M}"
    event = OrderEvent.objects.create(
        order=locked, kind=OrderEvent.Kind.TRACKING, actor=actor, detail=text[:300]
    )
    if status == TrackingStatus.DELIVERED and locked.state == OrderState.SHIPPED:
        mark_delivered(order=locked, actor=actor)
    return event


def send_shipping_mail(*, shipment_id: int) -> None:
    """Queue the shipping e-mail: what left, with which carrier, and the tracking link."""
    shipment = Shipment.objects.select_related("order__customer").get(pk=shipment_id)
    order = shipment.order
    mail_services.send_mail_to(
        user=order.customer,
        address=order.email,
        kind=SHIPPED_MAIL,
        subject=f"Your order {order.number} has shipped",
        template="orders/email/shipped",
        context={
            "order": order,
            "lines": list(shipment.lines.all()),
            "carrier": CARRIERS[shipment.carrier].name,
            "tracking_number": shipment.tracking_number,
            "tracking_url": tracking_url(shipment),
            "order_url": order_services.order_link(order),
            "return_days": settings.BUNGU_RETURN_DAYS,
        },
    )
