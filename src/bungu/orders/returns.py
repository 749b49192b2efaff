"""Returns: the customer asks (within ``BUNGU_RETURN_DAYS`` of the shipment), staff approve
or reject, receive the parcel (its units go back on hand) and refund; the customer is
e-mailed at each step."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from bungu.catalog import services as catalog_services
from bungu.mail import services as mail_services

from .models import Order, OrderEvent, OrderLine, ReturnLine, ReturnRequest, ReturnState
from .money import lines_amount
from .refunds import RefundMade, SeenState, refund_order
from .services import OrderError
from .states import LineState, Machine, OrderState, require

RETURN_MAIL = "order.return"
_LIVE = [ReturnState.REQUESTED, ReturnState.APPROVED, ReturnState.RECEIVED, ReturnState.REFUNDED]


class ReturnRefused(OrderError):  # noqa: N818 - a domain noun
    """A return request or step that was refused; the message says why. Nothing changed."""


def returnable(order: Order) -> dict[int, int]:
    """Line id -> units that may still be asked back: shipped within the return period, less
    what earlier (not rejected) requests already asked for."""
    cutoff = timezone.now() - timedelta(days=settings.BUNGU_RETURN_DAYS)
    asked = dict(
        ReturnLine.objects.filter(line__order=order, return_request__state__in=_LIVE)
        .values_list("line")
        .annotate(units=Sum("quantity"))
        .values_list("line", "units")
    )
    return {
        line.pk: line.quantity - asked.get(line.pk, 0)
        for line in order.lines.select_related("shipment")
        if line.state == LineState.SHIPPED
        and line.shipment is not None
        and line.shipment.shipped_at >= cutoff
        and line.quantity > asked.get(line.pk, 0)
    }


@transaction.atomic
def request_return(
    *, order: Order, quantities: Mapping[int, int], reason: str, actor: str
) -> ReturnRequest:
    """The customer asks to send back some units of shipped lines (line id -> units). Raises
    ReturnRefused for lines not in the order, not shipped, outside the return period, more
    units than shipped or already asked back, or nothing asked; then nothing changed."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    wanted = {line_id: units for line_id, units in quantities.items() if units}
    if not wanted:
        raise ReturnRefused("Choose at least one item and how many to return.")
    if any(units < 0 for units in wanted.values()):
        raise ReturnRefused("A quantity cannot be negative.")
    lines = {line.pk: line for line in locked.lines.select_related("shipment")}
    if set(wanted) - set(lines):
        raise ReturnRefused(f"Some of the chosen items are not in order {locked.number}.")
    open_units = returnable(locked)
    days = settings.BUNGU_RETURN_DAYS
    for line_id, units in wanted.items():
        line = lines[line_id]
        if line.state != LineState.SHIPPED or line.shipment is None:
            raise ReturnRefused(f"{line.name} has not shipped, so it cannot be returned.")
        if line_id not in open_units:
            if line.shipment.shipped_at < timezone.now() - timedelta(days=days):
                raise ReturnRefused(
                    f"{line.name} shipped more than {days} days ago: the return period is over."
                )
            raise ReturnRefused(f"You have already asked to return every {line.name}.")
        if units > open_units[line_id]:
            raise ReturnRefused(
                f"You can return at most {open_units[line_id]} of {line.name} "
                f"(shipped {line.quantity}, less any return already asked for)."
            )
    request = ReturnRequest.objects.create(order=locked, reason=reason.strip()[:300])
    ReturnLine.objects.bulk_create(
        ReturnLine(return_request=request, line_id=line_id, quantity=units)
        for line_id, units in sorted(wanted.items())
    )
    _event(locked, OrderEvent.Kind.RETURN_REQUESTED, actor, request)
    return request


def _event(order: Order, kind: str, actor: str, request: ReturnRequest, extra: str = "") -> None:
    items = ", ".join(
        f"{item.quantity} x {item.line.sku_code}" for item in request.lines.select_related("line")
    )
    detail = f"Return {request.pk}: {items}{extra}"
    OrderEvent.objects.create(order=order, kind=kind, actor=actor, detail=detail[:300])
    transaction.on_commit(partial(send_return_mail, return_id=request.pk, step=str(kind)))


def _locked_request(return_id: int, *, order: Order) -> tuple[Order, ReturnRequest]:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    request = ReturnRequest.objects.filter(pk=return_id, order=locked).first()
    if request is None:
        raise ReturnRefused(f"Order {locked.number} has no such return.")
    return locked, request


def _step(request: ReturnRequest, *, source: ReturnState, target: ReturnState) -> None:
    if request.state != source:
        raise ReturnRefused(
            f"Return {request.pk} is {request.get_state_display().lower()}, so it cannot be "
            f"{target.label.lower()}. Nothing was changed."
        )
    request.state = target
    request.save(update_fields=["state"])


@transaction.atomic
def approve_return(*, order: Order, return_id: int, actor: str) -> ReturnRequest:
    """Staff accept a requested return: the customer is told to send the parcel."""
    locked, request = _locked_request(return_id, order=order)
    _step(request, source=ReturnState.REQUESTED, target=ReturnState.APPROVED)
    _event(locked, OrderEvent.Kind.RETURN_APPROVED, actor, request)
    return request


@transaction.atomic
def reject_return(*, order: Order, return_id: int, actor: str, reason: str) -> ReturnRequest:
    """Staff refuse a requested return, saying why (the customer is told)."""
    if not reason.strip():
        raise ReturnRefused("Say why the return is refused: the customer is told.")
    locked, request = _locked_request(return_id, order=order)
    _step(request, source=ReturnState.REQUESTED, target=ReturnState.REJECTED)
    _event(locked, OrderEvent.Kind.RETURN_REJECTED, actor, request, f"; {reason.strip()}")
    return request


@transaction.atomic
def receive_return(*, order: Order, return_id: int, actor: str) -> ReturnRequest:
    """The parcel arrived: its units are on hand again; a line all of whose units came back
    is returned, and an order all of whose shipped units came back is returned."""
    locked, request = _locked_request(return_id, order=order)
    _step(request, source=ReturnState.APPROVED, target=ReturnState.RECEIVED)
    items = list(request.lines.select_related("line"))
    back: dict[int, int] = {}
    for item in items:
        if item.line.sku_id is not None:
            back[item.line.sku_id] = back.get(item.line.sku_id, 0) + item.quantity
    if back:
        catalog_services.restock(lines=back)
    received = dict(
        ReturnLine.objects.filter(
            line__order=locked,
            return_request__state__in=[ReturnState.RECEIVED, ReturnState.REFUNDED],
        )
        .values_list("line")
        .annotate(units=Sum("quantity"))
        .values_list("line", "units")
    )
    done = [item.line for item in items if received.get(item.line_id, 0) >= item.line.quantity]
    for line in done:
        require(Machine.LINE, line.state, LineState.RETURNED, what=f"Line {line.sku_code}")
    OrderLine.objects.filter(pk__in=[line.pk for line in done]).update(state=LineState.RETURNED)
    shipped_left = locked.lines.filter(state=LineState.SHIPPED).exists()
    if not shipped_left and locked.state != OrderState.RETURNED:
        require(Machine.ORDER, locked.state, OrderState.RETURNED, what=f"Order {locked.number}")
        locked.state = OrderState.RETURNED
        locked.save(update_fields=["state"])
    _event(locked, OrderEvent.Kind.RETURN_RECEIVED, actor, request)
    return request


def return_amount(request: ReturnRequest) -> Decimal:
    """What the returned units cost the customer, their tax share included."""
    items = list(request.lines.select_related("line"))
    return lines_amount(
        request.order, [item.line for item in items], units=[item.quantity for item in items]
    )


def refund_return(
    *, order: Order, return_id: int, idempotency_key: str, seen: SeenState, actor: str
) -> RefundMade:
    """Refund a received return (what its units cost), once. Raises ReturnRefused or
    RefundRefused (StaleView when the order changed since ``seen``)."""
    with transaction.atomic():
        locked, request = _locked_request(return_id, order=order)
        if request.state == ReturnState.REFUNDED:
            made = request.refunds.filter(idempotency_key=idempotency_key).first()
            if made is not None:
                return RefundMade(made, created=False)
        _step(request, source=ReturnState.RECEIVED, target=ReturnState.REFUNDED)
        return refund_order(
            order=locked,
            amount=return_amount(request),
            reason=f"Return {request.pk} received",
            idempotency_key=idempotency_key,
            seen=seen,
            actor=actor,
            return_request_id=request.pk,
        )


def send_return_mail(*, return_id: int, step: str) -> None:
    request = ReturnRequest.objects.select_related("order__customer").get(pk=return_id)
    order = request.order
    mail_services.send_mail_to(
        user=order.customer,
        address=order.email,
        kind=RETURN_MAIL,
        subject=f"Your return for order {order.number}: {OrderEvent.Kind(step).label.lower()}",
        template="orders/email/return",
        context={
            "order": order,
            "request": request,
            "step": step,
            "items": list(request.lines.select_related("line")),
        },
    )
