"""A delivery company: the parcels handed to its carrier, and tracking events back (P13).

A parcel carries the ship-to (name, address, and the phone only where the notice lets the
carrier have it), its weight and its service; nothing of what is inside or what it cost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from bungu.api.gate import AgentTokenAuth, event_actor, require
from bungu.api.reading import read_person
from bungu.orders import fulfilment
from bungu.orders.models import OrderLine, Shipment
from bungu.orders.states import OrderState, TransitionRefused
from bungu.privacy import Purpose

FUNCTION = "delivery"
SHIP_TO = [*fulfilment.SHIP_TO, "ship_phone"]
# At most this many parcels in one answer, the oldest first.
LIMIT = 200

router = Router(tags=["delivery"], auth=AgentTokenAuth(FUNCTION))


class ParcelOut(Schema):
    parcel: int
    carrier: str
    tracking_number: str
    service: str
    weight_grams: int
    ship_to: dict[str, str] = Field(
        description="name, line1, line2, city, region, postal_code, country; phone only where "
        "the notice in force lets the carrier have it"
    )
    withheld: list[str] = Field(description="ship-to fields not handed over, by order field name")


class TrackingIn(Schema):
    status: fulfilment.TrackingStatus
    detail: str = Field("", max_length=200)
    at: datetime | None = None


class TrackingOut(Schema):
    parcel: int
    status: str
    recorded: str


class Problem(Schema):
    detail: str


def _parcels(carrier: str) -> list[Shipment]:
    open_orders = [OrderState.PARTLY_SHIPPED, OrderState.SHIPPED]
    return list(
        Shipment.objects.filter(carrier=carrier, order__state__in=open_orders)
        .select_related("order")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("sku")))
        .order_by("shipped_at", "id")[:LIMIT]
    )


@router.get("/parcels", response={200: list[ParcelOut], 401: Problem, 403: Problem})
def list_parcels(request: HttpRequest) -> list[dict[str, Any]]:
    """The parcels handed to this company's carrier and not yet delivered."""
    token = require(request, FUNCTION)
    found = []
    for shipment in _parcels(token.agent.carrier):
        person = read_person(
            order=shipment.order, token=token, purpose=Purpose.DELIVERY, wanted=SHIP_TO
        )
        found.append(
            {
                "parcel": shipment.pk,
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "service": shipment.order.shipping_method_name,
                "weight_grams": sum(
                    (line.sku.weight_grams if line.sku else 0) * line.quantity
                    for line in shipment.lines.all()
                ),
                "ship_to": {k: str(v) for k, v in person.named(SHIP_TO).items()},
                "withheld": person.withheld,
            }
        )
    return found


@router.post(
    "/parcels/{parcel}/events",
    response={
        201: TrackingOut,
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
    },
)
def post_tracking_event(
    request: HttpRequest, parcel: int, event: TrackingIn
) -> Status[dict[str, Any]]:
    """Report what happened to a parcel; it appears on the order. "delivered" delivers the
    order once its last parcel is delivered."""
    token = require(request, FUNCTION)
    shipment = Shipment.objects.filter(pk=parcel, carrier=token.agent.carrier).first()
    if shipment is None:
        raise HttpError(404, "No such parcel was handed to this carrier.")
    at = event.at or timezone.now()
    if timezone.is_naive(at):
        raise HttpError(400, "Give 'at' with its time zone (ISO 8601, e.g. …T10:00:00+09:00).")
    try:
        recorded = fulfilment.record_tracking_event(
            shipment=shipment,
            status=event.status,
            detail=event.detail,
            at=at,
            actor=event_actor(token),
        )
    except (fulfilment.ShipmentRefused, TransitionRefused) as refused:
        raise HttpError(409, str(refused)) from None
    return Status(
        201, {"parcel": shipment.pk, "status": event.status.value, "recorded": recorded.detail}
    )
