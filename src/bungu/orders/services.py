"""The orders' use cases: place (once per checkout attempt), read, cancel, purge.

``place_order`` is called by checkout once the processor has authorised the payment; the
order's stock is the checkout's hold, which simply stays allocated. Cancelling releases the
stock and the authorisation.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from bungu import payments
from bungu.catalog import services as catalog_services
from bungu.mail import services as mail_services

from .models import ORDER_RETENTION_DAYS, Order, OrderEvent, OrderLine
from .states import LineState, Machine, OrderState, PaymentState, TransitionRefused, label, require

# Unambiguous letters and digits (no 0/O, 1/I/L): read out over the phone without doubt.
_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_GUEST_SALT = "bungu.orders.guest-link"
CONFIRMATION = "order.confirmation"


class OrderError(Exception):
    """An order action the shop refuses; the message says why, for the customer."""


class OrderNotCancellable(OrderError, TransitionRefused):  # noqa: N818 - a domain noun
    pass


class PaymentNotReleased(OrderError):  # noqa: N818 - a domain noun
    """The processor did not answer: the order stays as it was, try again."""


class BadGuestLink(OrderError):  # noqa: N818 - a domain noun
    pass


@dataclass(frozen=True)
class ShippingAddress:
    recipient: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""

    def lines(self) -> list[str]:
        place = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        return [p for p in (self.recipient, self.line1, self.line2, place, self.country) if p]


@dataclass(frozen=True)
class LineIn:
    sku_id: int
    sku_code: str
    name: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class GuardianApproval:
    """P23: who approved a supervised account's order, and when."""

    guardian_id: int
    at: datetime


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False when the attempt had its order already (a retry, a webhook...)


def _new_number() -> str:
    return "B" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(9))


def find_order_for_attempt(*, attempt_id: str) -> Order | None:
    """The order a checkout attempt became, if it did."""
    return Order.objects.filter(attempt_id=attempt_id).first()


def place_order(
    *,
    attempt_id: str,
    customer_id: int | None,
    email: str,
    address: ShippingAddress,
    shipping_method: str,
    shipping_method_name: str,
    shipping_cost: Decimal,
    tax: Decimal,
    lines: Sequence[LineIn],
    payment: payments.Payment,
    actor: str,
    approval: GuardianApproval | None = None,
    gift_note: str = "",
) -> PlacedOrder:
    """Record the order of one checkout attempt, once: a second call with the same attempt
    returns the order already placed. The caller has allocated the lines' stock. A supervised
    account's order records its guardian's ``approval`` as an event (P23). The confirmation
    e-mail goes after commit. ``gift_note``: printed on the packing slip. Raises ValueError
    for an order without lines."""
    existing = find_order_for_attempt(attempt_id=attempt_id)
    if existing is not None:
        return PlacedOrder(existing, created=False)
    if not lines:
        raise ValueError("An order needs at least one line.")
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    card = payment.card
    for _ in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=_new_number(),
                    attempt_id=attempt_id,
                    customer_id=customer_id,
                    email=email,
                    ship_recipient=address.recipient,
                    ship_line1=address.line1,
                    ship_line2=address.line2,
                    ship_city=address.city,
                    ship_region=address.region,
                    ship_postal_code=address.postal_code,
                    ship_country=address.country,
                    ship_phone=address.phone,
                    gift_note=gift_note.strip()[:300],
                    shipping_method=shipping_method,
                    shipping_method_name=shipping_method_name,
                    shipping_cost=shipping_cost,
                    subtotal=subtotal,
                    tax=tax,
                    total=subtotal + shipping_cost + tax,
                    currency=payment.currency,
                    card_brand=card.brand if card else "",
                    card_last4=card.last4 if card else "",
                    card_exp_month=card.exp_month if card else None,
                    card_exp_year=card.exp_year if card else None,
                    payment_id=payment.id,
                    payment_token=payment.token,
                )
                OrderLine.objects.bulk_create(
                    OrderLine(
                        order=order,
                        sku_id=line.sku_id,
                        sku_code=line.sku_code,
                        name=line.name,
                        unit_price=line.unit_price,
                        quantity=line.quantity,
                        line_total=line.unit_price * line.quantity,
                    )
                    for line in lines
                )
                if approval is not None:
                    OrderEvent.objects.create(
                        order=order,
                        kind=OrderEvent.Kind.APPROVED,
                        actor=f"guardian #{approval.guardian_id}",
                        detail="Approved and paid by the customer's parent or guardian.",
                        at=approval.at,
                    )
                OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PLACED, actor=actor)
        except IntegrityError:
            # Another request placed this attempt's order first; or, rarely, the number
            # was taken: then try another.
            existing = find_order_for_attempt(attempt_id=attempt_id)
            if existing is not None:
                return PlacedOrder(existing, created=False)
            continue
        transaction.on_commit(partial(send_confirmation, order_id=order.pk))
        return PlacedOrder(order, created=True)
    raise IntegrityError("could not find a free order number")


# ---------------------------------------------------------------- reading
def list_orders(*, customer_id: int) -> list[Order]:
    """The customer's orders, newest first."""
    return list(Order.objects.of(customer_id))


def customer_bought_products(*, customer_ids: Collection[int], product_id: int) -> set[int]:
    """Which of these customers have an order that was not cancelled with a SKU of the product
    (the reviews' "verified purchase"); one query however many customers."""
    if not customer_ids:
        return set()
    return set(
        OrderLine.objects.filter(
            order__customer_id__in=list(customer_ids), sku__product_id=product_id
        )
        .exclude(order__state=OrderState.CANCELLED)
        .values_list("order__customer_id", flat=True)
        .distinct()
    )


def get_order(*, customer_id: int, number: str) -> Order:
    """One of the customer's own orders with its lines and events. Raises Order.DoesNotExist
    for an unknown number and for another customer's order alike."""
    return Order.objects.of(customer_id).prefetch_related("lines", "events").get(number=number)


def guest_link_token(order: Order) -> str:
    """A signed token naming the order, for the link in the confirmation e-mail."""
    return signing.dumps({"order": order.number}, salt=_GUEST_SALT, compress=True)


def guest_url(order: Order) -> str:
    return settings.BUNGU_SITE_URL + reverse(
        "orders:guest", kwargs={"token": guest_link_token(order)}
    )


def get_order_by_guest_link(*, token: str) -> Order:
    """The order a signed guest link names. Raises BadGuestLink for an altered, expired or
    unknown link."""
    try:
        data = signing.loads(
            token,
            salt=_GUEST_SALT,
            max_age=timedelta(days=settings.BUNGU_ORDER_LINK_DAYS),
        )
    except signing.BadSignature:
        raise BadGuestLink("This order link is not valid or has expired.") from None
    number = data.get("order") if isinstance(data, dict) else None
    order = (
        Order.objects.prefetch_related("lines", "events").filter(number=str(number)).first()
        if number
        else None
    )
    if order is None:
        raise BadGuestLink("This order link is not valid or has expired.")
    return order


def order_link(order: Order) -> str:
    """The order's page for its e-mails: in the account, or a guest's signed link."""
    if order.customer_id:
        return settings.BUNGU_SITE_URL + order.get_absolute_url()
    return guest_url(order)


# ---------------------------------------------------------------- the confirmation e-mail
def send_confirmation(*, order_id: int) -> None:
    """Queue the confirmation e-mail in the outbox: the card as brand and last four only
    (P2), and for a guest the signed link to the order."""
    order = Order.objects.prefetch_related("lines").select_related("customer").get(pk=order_id)
    link = order_link(order)
    mail_services.send_mail_to(
        user=order.customer,
        address=order.email,
        kind=CONFIRMATION,
        subject=f"Your order {order.number}",
        template="orders/email/confirmation",
        context={"order": order, "lines": list(order.lines.all()), "order_url": link},
    )


# ---------------------------------------------------------------- cancelling
def _release_payment(order: Order) -> tuple[str, str]:
    """Void the authorisation (or refund what was captured): (what the event says, the money's
    new state). Raises PaymentNotReleased when the processor does not answer."""
    gateway = payments.get_gateway()
    try:
        payment = gateway.get_payment(order.payment_id)
        if payment.state == payments.PaymentState.AUTHORISED:
            gateway.void(order.payment_id, idempotency_key=f"cancel-{order.number}")
            return "The authorisation on the card was released.", PaymentState.VOIDED
        if payment.refundable > 0:
            gateway.refund(
                order.payment_id,
                amount=payment.refundable,
                idempotency_key=f"cancel-{order.number}",
            )
            return "What was charged was refunded.", PaymentState.REFUNDED
    except payments.ProcessorUnavailable:
        raise PaymentNotReleased(
            "The card processor did not answer, so the order was not cancelled. "
            "Nothing changed; please try again in a few minutes."
        ) from None
    except payments.ProcessorRefused as error:
        raise PaymentNotReleased(
            f"The card processor refused to release the payment ({error}). The order was not "
            "cancelled; please contact us."
        ) from None
    return "Nothing had been charged.", PaymentState.VOIDED


def cancel_order(*, order: Order, actor: str, reason: str = "") -> Order:
    """Cancel an order that has not shipped: release the payment first (void, or refund what
    was captured), then the stock. Raises OrderNotCancellable or PaymentNotReleased; then the
    order is unchanged."""
    if not order.is_cancellable:
        raise OrderNotCancellable(
            f"Order {order.number} is {label(Machine.ORDER, order.state)}: it can no longer be "
            "cancelled."
        )
    outcome, money = _release_payment(order)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        try:
            require(Machine.ORDER, locked.state, OrderState.CANCELLED, what=f"Order {order.number}")
        except TransitionRefused as refused:
            raise OrderNotCancellable(str(refused)) from None
        locked.state = OrderState.CANCELLED
        if money == PaymentState.REFUNDED:
            locked.refunded = locked.captured
        locked.payment_state = money
        locked.save(update_fields=["state", "payment_state", "refunded"])
        waiting = [
            line
            for line in locked.lines.all()
            if line.state in {LineState.WAITING, LineState.PICKED}
        ]
        bought: dict[int, int] = {}
        for line in waiting:
            if line.sku_id is not None:
                bought[line.sku_id] = bought.get(line.sku_id, 0) + line.quantity
        OrderLine.objects.filter(pk__in=[line.pk for line in waiting]).update(
            state=LineState.CANCELLED
        )
        if bought:
            catalog_services.release_stock(lines=bought)
        detail = f"{outcome} {reason}".strip()
        OrderEvent.objects.create(
            order=locked, kind=OrderEvent.Kind.CANCELLED, actor=actor, detail=detail[:300]
        )
    return locked


# ---------------------------------------------------------------- retention, P5
def purge_old_orders(*, now: datetime | None = None) -> int:
    """P5: delete orders (with their lines and events) older than the legal retention."""
    cutoff = (now or timezone.now()) - timedelta(days=ORDER_RETENTION_DAYS)
    # Lines and events go with their order (the cascade deletes in bulk: an event is never
    # deleted on its own).
    _, by_model = Order.objects.filter(created_at__lt=cutoff).delete()
    return by_model.get(Order._meta.label, 0)
