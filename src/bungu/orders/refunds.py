"""Refunds: full or partial, with a reason, never more than captured, once per form.

Two guards, both checked under the order's row lock:
- the stale-view guard: the refund form carries what its author saw (the amount refunded so
  far and the order's last event); if the order moved on since, the refund is refused with a
  message saying what changed, so nobody refunds twice what two people saw as owed;
- idempotency: each form carries its own key; sending the same form again (a double click,
  a retry after a time-out) returns the refund already made, and the processor is asked with
  the same key, so it refunds once too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Max

from bungu import payments
from bungu.mail import services as mail_services

from .models import Order, OrderEvent, Refund
from .money import to_cents
from .services import OrderError
from .states import Machine, PaymentState, require

REFUNDED_MAIL = "order.refunded"


class RefundRefused(OrderError):  # noqa: N818 - a domain noun
    """A refund that was not made; the message says why. Nothing changed."""


class StaleView(RefundRefused):
    """The order changed after the refund form was shown."""


@dataclass(frozen=True)
class SeenState:
    """What the staff member's page showed: the refund form sends it back."""

    refunded: Decimal
    last_event_id: int


def seen_state(order: Order) -> SeenState:
    """The order as a refund form must remember it."""
    last = order.events.aggregate(last=Max("id"))["last"] or 0
    return SeenState(refunded=order.refunded, last_event_id=int(last))


@dataclass(frozen=True)
class RefundMade:
    refund: Refund
    # False when the form had been sent before: the earlier refund is returned, none is made.
    created: bool


def refund_order(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    seen: SeenState,
    actor: str,
    return_request_id: int | None = None,
) -> RefundMade:
    """Give back ``amount`` of what was captured, with a reason; the customer is e-mailed
    after commit. Raises RefundRefused (StaleView when the order changed since ``seen``);
    then nothing changed, at the shop or at the processor."""
    reason = reason.strip()
    if not reason:
        raise RefundRefused("Give a reason for the refund.")
    if not idempotency_key or len(idempotency_key) > 64:
        raise RefundRefused("This refund form is malformed; reload the page.")
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise RefundRefused("Enter an amount greater than zero, in dollars and cents.")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        earlier = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.order_id != locked.pk or earlier.amount != amount:
                raise RefundRefused("This refund form was already used for another refund.")
            return RefundMade(earlier, created=False)
        now = seen_state(locked)
        if now != seen:
            raise StaleView(
                f"Order {locked.number} changed after you opened it (refunded so far: "
                f"{now.refunded} now, {seen.refunded} on your page). Nothing was refunded; "
                "reload the page and check before refunding."
            )
        if amount > locked.refundable:
            raise RefundRefused(
                f"At most {locked.refundable} {locked.currency} can be refunded: that is what "
                "was captured and not yet given back."
            )
        target = (
            PaymentState.REFUNDED if amount == locked.refundable else PaymentState.PARTLY_REFUNDED
        )
        require(Machine.PAYMENT, locked.payment_state, target, what="The payment")
        try:
            payments.get_gateway().refund(
                locked.payment_id, amount=to_cents(amount), idempotency_key=idempotency_key
            )
        except payments.ProcessorUnavailable:
            raise RefundRefused(
                "The card processor did not answer, so nothing was refunded. Send the same form "
                "again in a few minutes: it cannot refund twice."
            ) from None
        except payments.ProcessorRefused as error:
            raise RefundRefused(f"The card processor refused the refund ({error}).") from None
        refund = Refund.objects.create(
            order=locked,
            amount=amount,
            reason=reason[:200],
            idempotency_key=idempotency_key,
            return_request_id=return_request_id,
            actor=actor,
        )
        locked.refunded += amount
        locked.payment_state = target
        locked.save(update_fields=["refunded", "payment_state"])
        OrderEvent.objects.create(
            order=locked,
            kind=OrderEvent.Kind.REFUNDED,
            actor=actor,
            detail=f"{amount} {locked.currency}: {reason}"[:300],
        )
        transaction.on_commit(partial(send_refund_mail, refund_id=refund.pk))
    return RefundMade(refund, created=True)


def send_refund_mail(*, refund_id: int) -> None:
    refund = Refund.objects.select_related("order__customer").get(pk=refund_id)
    order = refund.order
    mail_services.send_mail_to(
        user=order.customer,
        address=order.email,
        kind=REFUNDED_MAIL,
        subject=f"A refund on your order {order.number}",
        template="orders/email/refunded",
        context={"order": order, "refund": refund},
    )
