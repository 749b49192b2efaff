"""A fulfilment warehouse: pick lists, and shipments back (P13).

A pick list holds what the fulfilment role's packing slip holds (``PACKING_FIELDS``): the
order number, the ship-to, the gift note, the delivery method and the open lines (SKU,
title, variant, quantity); no e-mail, no phone, no prices, no payment. A shipment posted
back goes through the same service as the back office's "Mark shipped": the lines' money is
captured and the customer gets the shipping e-mail with the tracking link.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from bungu.api.gate import AgentTokenAuth, event_actor, require
from bungu.api.reading import read_person, variant_of
from bungu.orders import fulfilment
from bungu.orders.models import Order, OrderLine
from bungu.orders.services import OrderError
from bungu.orders.states import LineState, OrderState, TransitionRefused
from bungu.privacy import Purpose

FUNCTION = "fulfilment"
_OPEN = [LineState.WAITING, LineState.PICKED]
# At most this many orders in one answer, the oldest first.
LIMIT = 100

router = Router(tags=["fulfilment"], auth=AgentTokenAuth(FUNCTION))

Carrier = Literal["usps", "ups", "fedex", "dhl"]


class PickLineOut(Schema):
    line: int
    sku: str
    title: str
    variant: str
    quantity: int


class PickListOut(Schema):
    order: str
    service: str
    ship_to: dict[str, str] = Field(
        description="name, line1, line2, city, region, postal_code, country"
    )
    gift_note: str | None = Field(None, description="present only when handed over")
    lines: list[PickLineOut]
    withheld: list[str]


class ShipmentIn(Schema):
    order: str = Field(..., min_length=1, max_length=16)
    lines: list[int] = Field(..., min_length=1, max_length=500)
    carrier: Carrier
    tracking_number: str = Field(..., min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    release_rest: bool = False


class ShipmentOut(Schema):
    shipment: int
    order: str
    state: str
    carrier: str
    tracking_number: str


class Problem(Schema):
    detail: str


def _orders_to_pick() -> list[Order]:
    return list(
        Order.objects.filter(lines__state__in=_OPEN)
        .exclude(state=OrderState.CANCELLED)
        .distinct()
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.filter(state__in=_OPEN).select_related("sku"),
                to_attr="open_lines",
            )
        )
        .order_by("created_at", "id")[:LIMIT]
    )


@router.get("/pick-lists", response={200: list[PickListOut], 401: Problem, 403: Problem})
def list_pick_lists(request: HttpRequest) -> list[dict[str, Any]]:
    """Orders with lines still to pick and pack, the oldest first."""
    token = require(request, FUNCTION)
    found = []
    for order in _orders_to_pick():
        person = read_person(
            order=order, token=token, purpose=Purpose.FULFILMENT, wanted=fulfilment.PACKING_FIELDS
        )
        entry: dict[str, Any] = {
            "order": order.number,
            "service": order.shipping_method_name,
            "ship_to": {k: str(v) for k, v in person.named(fulfilment.SHIP_TO).items()},
            "lines": [
                {
                    "line": line.pk,
                    "sku": line.sku_code,
                    "title": line.name,
                    "variant": variant_of(line.sku),
                    "quantity": line.quantity,
                }
                for line in order.open_lines  # type: ignore[attr-defined]
            ],
            "withheld": person.withheld,
        }
        entry.update(person.named(["gift_note"]))
        found.append(entry)
    return found


@router.post(
    "/shipments",
    response={
        201: ShipmentOut,
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
    },
)
def post_shipment(request: HttpRequest, shipment: ShipmentIn) -> Status[dict[str, Any]]:
    """Lines of an order left in one parcel: recorded, captured and e-mailed as when staff
    mark them shipped. ``release_rest``: nothing else of the order will ship."""
    token = require(request, FUNCTION)
    order = Order.objects.filter(number=shipment.order.strip().lstrip("#").upper()).first()
    if order is None:
        raise HttpError(404, f"There is no order {shipment.order}.")
    try:
        made = fulfilment.ship_lines(
            order=order,
            line_ids=shipment.lines,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            release_rest=shipment.release_rest,
            actor=event_actor(token),
        )
    except (OrderError, TransitionRefused) as refused:
        raise HttpError(409, str(refused)) from None
    made.order.refresh_from_db(fields=["state"])
    return Status(
        201,
        {
            "shipment": made.pk,
            "order": order.number,
            "state": made.order.state,
            "carrier": made.carrier,
            "tracking_number": made.tracking_number,
        },
    )
