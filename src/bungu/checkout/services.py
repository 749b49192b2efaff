"""Checkout's use cases: the customer's details, "Place order", and completing an attempt.

The rule of one order and one charge per attempt: the attempt's id is the processor's
reference and idempotency key; ``complete_attempt`` locks the attempt and lets
``orders.place_order`` (unique per attempt) decide; a payment is voided only when no order
references its attempt. The return page, the webhook and the reconciler all call it.
Network calls to the processor never run inside a database transaction.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bungu import payments
from bungu.cart import services as cart_services
from bungu.cart.models import Cart
from bungu.catalog import services as catalog_services
from bungu.orders import services as orders
from bungu.orders.models import Order
from bungu.orders.money import to_cents

from .models import AttemptState, CheckoutAttempt
from .pricing import Quote, build_quote
from .receipts import send_guardian_confirmation

log = logging.getLogger(__name__)

DETAIL_FIELDS = (
    "email",
    "recipient",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "gift_note",
)
_LIVE = (AttemptState.OPEN, AttemptState.PAYING)


class CheckoutError(Exception):
    """Something that stops the customer paying; ``str(error)`` is the message for them."""


class CartChanged(CheckoutError):  # noqa: N818 - a domain noun
    pass


class NotPayable(CheckoutError):  # noqa: N818 - a domain noun
    pass


class StockGone(CheckoutError):  # noqa: N818 - a domain noun
    pass


class ProcessorDown(CheckoutError):  # noqa: N818 - a domain noun
    pass


class AttemptSpent(CheckoutError):  # noqa: N818 - a domain noun
    """This attempt can no longer be paid (its payment was cancelled, or the cart changed
    after it was created): the review page starts a fresh one."""


def new_attempt_id() -> str:
    return secrets.token_hex(16)


def hold_minutes() -> timedelta:
    return timedelta(minutes=settings.BUNGU_CHECKOUT_HOLD_MINUTES)


# ---------------------------------------------------------------- the customer's details
def find_attempt(*, attempt_id: str) -> CheckoutAttempt | None:
    if not attempt_id or len(attempt_id) > 32 or not attempt_id.isalnum():
        return None
    return CheckoutAttempt.objects.select_related("shipping_method").filter(pk=attempt_id).first()


def find_current_attempt(*, customer_id: int | None, cart_id: int | None) -> CheckoutAttempt | None:
    """The checkout a customer (or, for a guest, the cart) is going through: its newest
    attempt, unless that one became an order. A supervised account's requests to its guardian
    (P23) are not the checkout itself: the young customer's cart goes on in a fresh attempt.
    No session is needed to find it, so a guest's checkout writes no session row."""
    if customer_id is not None:
        mine = CheckoutAttempt.objects.filter(customer_id=customer_id)
    elif cart_id is not None:
        mine = CheckoutAttempt.objects.filter(cart_id=cart_id, customer_id__isnull=True)
    else:
        return None
    latest = (
        mine.filter(approval_requested_at__isnull=True)
        .select_related("shipping_method")
        .order_by("-created_at")
        .first()
    )
    return None if latest is None or latest.state == AttemptState.COMPLETED else latest


@transaction.atomic
def save_details(
    *,
    attempt: CheckoutAttempt | None,
    cart: Cart,
    customer_id: int | None,
    details: dict[str, Any],
    adult_declared: bool,
) -> CheckoutAttempt:
    """Keep the e-mail and shipping address of a checkout: on the open attempt, or on a new
    one once the old one went to the processor (a payment's terms never change)."""
    new = False
    if attempt is None or attempt.state != AttemptState.OPEN:
        method_id = attempt.shipping_method_id if attempt else None
        attempt = CheckoutAttempt(id=new_attempt_id(), shipping_method_id=method_id)
        new = True
    attempt.cart = cart
    attempt.customer_id = customer_id
    for name in DETAIL_FIELDS:
        setattr(attempt, name, details.get(name, ""))
    if adult_declared and attempt.adult_declared_at is None:
        attempt.adult_declared_at = timezone.now()
    # A new attempt's id is set by us: without force_insert, save() would try an UPDATE first.
    attempt.save(force_insert=new)
    return attempt


@transaction.atomic
def choose_shipping(*, attempt: CheckoutAttempt, method_id: int) -> CheckoutAttempt:
    """Set the shipping method (a new attempt if this one went to the processor)."""
    if attempt.state != AttemptState.OPEN:
        attempt = renew_attempt(attempt=attempt)
    attempt.shipping_method_id = method_id
    attempt.save(update_fields=["shipping_method", "updated_at"])
    return attempt


@transaction.atomic
def renew_attempt(*, attempt: CheckoutAttempt) -> CheckoutAttempt:
    """A fresh, open attempt with the same details; the old one's hold is given back (a
    payment on it that is authorised later is voided by the reconciler)."""
    old = CheckoutAttempt.objects.select_for_update().get(pk=attempt.pk)
    # P23: an order the guardian approved is theirs to pay; the young customer's new attempt
    # leaves it (and its hold) alone.
    if old.approved_at is None:
        if old.state in _LIVE:
            old.state = AttemptState.ABANDONED
        release_hold(old)
        old.save()
    fresh = CheckoutAttempt(
        id=new_attempt_id(),
        cart_id=old.cart_id,
        customer_id=old.customer_id,
        adult_declared_at=old.adult_declared_at,
        shipping_method_id=old.shipping_method_id,
        **{name: getattr(old, name) for name in DETAIL_FIELDS},
    )
    fresh.save(force_insert=True)
    return fresh


def release_hold(attempt: CheckoutAttempt) -> None:
    """Give back the attempt's hold (the caller holds the attempt's lock and saves it)."""
    if attempt.held:
        catalog_services.release_stock(lines=attempt.held_lines)
        attempt.held = {}
        attempt.hold_expires_at = None


# ---------------------------------------------------------------- "Place order"
@dataclass(frozen=True)
class PaymentStart:
    redirect_url: str = ""  # the processor's hosted page
    completion: Completion | None = None  # when the payment was already decided


def _hold_for_payment(attempt_id: str, quote: Quote, fingerprint: str) -> CheckoutAttempt:
    with transaction.atomic():
        attempt = CheckoutAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.state not in _LIVE or (
            attempt.payment_id and attempt.fingerprint != fingerprint
        ):
            raise AttemptSpent("Your order changed since you went to pay: review it again.")
        try:
            # The attempt's own hold is given back in the same transaction: a retry is never
            # refused for the units it holds itself.
            catalog_services.hold_stock(lines=quote.stock_lines, release=attempt.held_lines)
        except catalog_services.OutOfStock as error:
            names = ", ".join(ln.name for ln in quote.lines if ln.sku_id in error.short)
            raise StockGone(
                f"Sorry, someone else just bought the last of {names}. Nothing was charged; "
                "lower the quantity or remove it from your cart."
            ) from None
        now = timezone.now()
        attempt.held = {str(sku_id): units for sku_id, units in quote.stock_lines.items()}
        attempt.hold_expires_at = now + hold_minutes()
        attempt.lines = [line.snapshot() for line in quote.lines]
        attempt.subtotal = quote.subtotal
        attempt.shipping_cost = quote.shipping_cost
        attempt.tax = quote.tax
        attempt.total = quote.total
        attempt.currency = settings.BUNGU_CURRENCY
        attempt.fingerprint = fingerprint
        attempt.state = AttemptState.PAYING
        attempt.save()
        return attempt


def start_payment(
    *, attempt: CheckoutAttempt, cart: Cart | None, fingerprint: str, return_url: str
) -> PaymentStart:
    """Hold the stock and create (or find again) the attempt's payment. Raises CartChanged
    when the cart is not what the customer reviewed, NotPayable, StockGone, ProcessorDown
    (nothing lost: try again) or AttemptSpent (start a fresh attempt)."""
    if attempt.state == AttemptState.COMPLETED:
        return PaymentStart(completion=_already_placed(attempt.pk))
    quote = build_quote(cart=cart, attempt=attempt)
    if not secrets.compare_digest(quote.fingerprint(attempt), fingerprint):
        raise CartChanged(
            "Your cart or details changed since you reviewed them (perhaps in another tab). "
            "Nothing was charged: here is your order as it is now."
        )
    if not quote.payable:
        raise NotPayable(" ".join(quote.problems) or "Choose a shipping method first.")
    attempt = _hold_for_payment(attempt.pk, quote, fingerprint)
    return open_payment(attempt=attempt, return_url=return_url)


def open_payment(*, attempt: CheckoutAttempt, return_url: str) -> PaymentStart:
    """Create (or find again: the attempt's id is the idempotency key) the processor's payment
    for an attempt whose stock is held and whose amounts are set. Raises ProcessorDown or
    AttemptSpent."""
    assert attempt.total is not None  # noqa: S101 - set by the hold
    gateway = payments.get_gateway()
    try:
        payment = gateway.create_payment(
            payments.PaymentRequest(
                reference=attempt.pk,
                amount=to_cents(attempt.total),
                currency=attempt.currency,
                return_url=return_url,
                description=f"{settings.BUNGU_SHOP_NAME} order",
            )
        )
    except payments.ProcessorUnavailable:
        raise ProcessorDown(
            "The card processor did not answer. Nothing was charged and your items are held "
            "for a few minutes: please try again."
        ) from None
    except payments.ProcessorRefused as error:
        log.warning("processor refused attempt %s: %s", attempt.pk, error)
        _fail(attempt.pk, "The processor refused the payment.")
        raise AttemptSpent(
            "The card processor refused this payment. Nothing was charged: please place "
            "the order again."
        ) from None
    if payment.reference != attempt.pk:
        raise ProcessorDown("The card processor answered for another payment. Nothing was charged.")
    if payment.state.holds_money or payment.state in _ENDED:
        return PaymentStart(completion=complete_attempt(payment=payment, actor="checkout"))
    expires = payment.expires_at or timezone.now()
    with transaction.atomic():
        locked = CheckoutAttempt.objects.select_for_update().get(pk=attempt.pk)
        locked.payment_id = payment.id
        if locked.hold_expires_at is not None and expires > locked.hold_expires_at:
            # Never shorter than the processor's session.
            locked.hold_expires_at = expires
        locked.save(update_fields=["payment_id", "hold_expires_at", "updated_at"])
    return PaymentStart(redirect_url=payment.checkout_url)


def _fail(attempt_id: str, reason: str) -> None:
    with transaction.atomic():
        attempt = CheckoutAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.state in _LIVE:
            attempt.state = AttemptState.FAILED
            attempt.failure = reason[:300]
            release_hold(attempt)
            attempt.save()


# ---------------------------------------------------------------- completing an attempt
class Outcome(StrEnum):
    PLACED = "placed"
    PENDING = "pending"  # still on the processor's page
    DECLINED = "declined"  # the card was refused; the page lets them try another
    CANCELLED = "cancelled"  # the payment ended without money: place the order again
    OUT_OF_STOCK = "out_of_stock"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"
    PROCESSOR_DOWN = "processor_down"


_ENDED = {
    payments.PaymentState.CANCELLED,
    payments.PaymentState.EXPIRED,
    payments.PaymentState.VOIDED,
}


@dataclass(frozen=True)
class Completion:
    outcome: Outcome
    message: str
    order: Order | None = None
    attempt_id: str = ""


def _already_placed(attempt_id: str) -> Completion:
    order = orders.find_order_for_attempt(attempt_id=attempt_id)
    return Completion(Outcome.PLACED, "", order=order, attempt_id=attempt_id)


def _matches(attempt: CheckoutAttempt, payment: payments.Payment) -> bool:
    return (
        attempt.total is not None
        and payment.reference == attempt.pk
        and payment.amount == to_cents(attempt.total)
        and payment.currency == attempt.currency
        and bool(attempt.lines)
    )


def _place(attempt: CheckoutAttempt, payment: payments.Payment, actor: str) -> Order:
    assert attempt.shipping_method is not None  # noqa: S101 - priced with one
    lines = [
        orders.LineIn(
            sku_id=int(line["sku_id"]),
            sku_code=str(line["sku_code"]),
            name=str(line["name"]),
            unit_price=Decimal(str(line["unit_price"])),
            quantity=int(line["quantity"]),
        )
        for line in attempt.lines
    ]
    placed = orders.place_order(
        attempt_id=attempt.pk,
        customer_id=attempt.customer_id,
        email=attempt.email,
        address=orders.ShippingAddress(
            recipient=attempt.recipient,
            line1=attempt.line1,
            line2=attempt.line2,
            city=attempt.city,
            region=attempt.region,
            postal_code=attempt.postal_code,
            country=attempt.country,
            phone=attempt.phone,
        ),
        shipping_method=attempt.shipping_method.code,
        shipping_method_name=attempt.shipping_method.name,
        shipping_cost=attempt.shipping_cost or Decimal("0.00"),
        tax=attempt.tax or Decimal("0.00"),
        lines=lines,
        payment=payment,
        actor=actor,
        approval=(
            orders.GuardianApproval(guardian_id=attempt.guardian_id, at=attempt.approved_at)
            if attempt.guardian_id is not None and attempt.approved_at is not None
            else None
        ),
        gift_note=attempt.gift_note,
    )
    return placed.order


def complete_attempt(*, payment: payments.Payment, actor: str) -> Completion:  # noqa: PLR0911 - one return per outcome
    """Act on what the processor says of an attempt's payment (read from the processor, never
    from a browser): an authorisation that matches the attempt's reference, amount and
    currency becomes its order, the hold becoming the order's allocation; a refused card, a
    cancelled payment or stock gone meanwhile is told plainly, and a payment that holds money
    but makes no order is voided, only if no order references the attempt."""
    void = False
    with transaction.atomic():
        attempt = (
            # Lock the attempt's row only: PostgreSQL refuses FOR UPDATE on the nullable side
            # of the outer join to the shipping method.
            CheckoutAttempt.objects.select_for_update(of=("self",))
            .select_related("shipping_method")
            .filter(pk=payment.reference)
            .first()
        )
        if attempt is None:
            return Completion(Outcome.UNKNOWN, "We know of no such checkout.")
        if orders.find_order_for_attempt(attempt_id=attempt.pk) is not None:
            return _already_placed(attempt.pk)
        state = payment.state
        if state in {payments.PaymentState.PENDING, payments.PaymentState.REQUIRES_ACTION}:
            if payment.decline_code:
                return Completion(
                    Outcome.DECLINED,
                    "Your card was declined and nothing was charged. You can try again with "
                    "another card.",
                    attempt_id=attempt.pk,
                )
            return Completion(
                Outcome.PENDING,
                "Your payment is not finished yet: place the order again to go back to it.",
                attempt_id=attempt.pk,
            )
        if state in _ENDED:
            _mark_failed(attempt, "The payment was cancelled.")
            return Completion(
                Outcome.CANCELLED,
                "The payment was cancelled and nothing was charged. Your cart is as you left "
                "it: place the order again when you are ready.",
                attempt_id=attempt.pk,
            )
        if not state.holds_money:
            return Completion(Outcome.PENDING, "Your payment is being processed.")
        if not _matches(attempt, payment) or attempt.state not in _LIVE:
            log.warning("payment %s does not match attempt %s", payment.id, attempt.pk)
            _mark_failed(attempt, "The payment did not match the order.")
            void = True
            completion = Completion(
                Outcome.MISMATCH,
                "That payment does not match your order, so it has been released and nothing "
                "will be charged. Please review your order and place it again.",
                attempt_id=attempt.pk,
            )
        else:
            completion = _convert_hold_into_order(attempt, payment, actor)
            void = completion.outcome == Outcome.OUT_OF_STOCK
    if void:
        transaction.on_commit(
            partial(void_unless_ordered, attempt_id=payment.reference, payment_id=payment.id)
        )
    return completion


def _mark_failed(attempt: CheckoutAttempt, reason: str) -> None:
    if attempt.state in _LIVE:
        attempt.state = AttemptState.FAILED
        attempt.failure = reason
    release_hold(attempt)
    attempt.save()


def _convert_hold_into_order(
    attempt: CheckoutAttempt, payment: payments.Payment, actor: str
) -> Completion:
    wanted: dict[int, int] = {}
    for line in attempt.lines:
        wanted[int(line["sku_id"])] = wanted.get(int(line["sku_id"]), 0) + int(line["quantity"])
    if attempt.held_lines != wanted:
        # The hold ran out and was released: take the stock again, if it is still there.
        try:
            catalog_services.hold_stock(lines=wanted, release=attempt.held_lines)
        except catalog_services.OutOfStock:
            _mark_failed(attempt, "The stock was gone when the payment came back.")
            return Completion(
                Outcome.OUT_OF_STOCK,
                "Sorry: while you were paying, the last of an item in your order was sold. "
                "We have released the amount held on your card, so nothing will be charged.",
                attempt_id=attempt.pk,
            )
    order = _place(attempt, payment, actor)
    if attempt.guardian_id is not None and attempt.approved_at is not None:
        # P23: the guardian paid; the young customer gets the order's own confirmation.
        transaction.on_commit(partial(send_guardian_confirmation, attempt_id=attempt.pk))
    attempt.state = AttemptState.COMPLETED
    attempt.held = {}  # the units are the order's allocation now
    attempt.hold_expires_at = None
    attempt.payment_id = payment.id
    attempt.save()
    if attempt.cart_id is not None:
        cart_services.remove_bought_items(cart_id=attempt.cart_id, bought=wanted)
    return Completion(Outcome.PLACED, "", order=order, attempt_id=attempt.pk)


class Release(StrEnum):
    """What ``void_unless_ordered`` did with an authorisation."""

    RELEASED = "released"  # this call voided it
    NOT_NEEDED = "not needed"  # an order stands on it, it is no longer held, or another
    # node released it at the same moment
    FAILED = "failed"  # the processor did not answer or refused: the next run tries again


def void_unless_ordered(*, attempt_id: str, payment_id: str) -> Release:
    """Release an authorisation that made no order. Compensation never harms a winner: if an
    order references the attempt, nothing is voided.

    Reconcilers on several nodes may void the same authorisation at the same moment: the
    processor voids it once (the idempotency key is the attempt's) and answers each of them
    alike, so the attempt's ``payment_released_at``, set by a conditional UPDATE, decides
    which one reports the release."""
    if orders.find_order_for_attempt(attempt_id=attempt_id) is not None:
        return Release.NOT_NEEDED
    gateway = payments.get_gateway()
    try:
        payment = gateway.get_payment(payment_id)
        if payment.reference != attempt_id or payment.state != payments.PaymentState.AUTHORISED:
            return Release.NOT_NEEDED
        gateway.void(payment_id, idempotency_key=f"void-{attempt_id}")
    except payments.PaymentError as error:
        log.warning("could not void payment %s of attempt %s: %s", payment_id, attempt_id, error)
        return Release.FAILED
    attempt = CheckoutAttempt.objects.filter(pk=attempt_id)
    if attempt.filter(payment_released_at__isnull=True).update(payment_released_at=timezone.now()):
        return Release.RELEASED
    # Another node recorded the release first; an attempt already purged has nothing to record.
    return Release.NOT_NEEDED if attempt.exists() else Release.RELEASED


# ---------------------------------------------------------------- return page and webhook
def complete_from_return(*, attempt: CheckoutAttempt, payment_hint: str) -> Completion:
    """The customer is back from the processor: read the payment from the processor (the
    attempt's own payment id; the return URL's only when the attempt never stored one) and
    complete the attempt. The hint is never trusted: its reference must be this attempt."""
    if attempt.state == AttemptState.COMPLETED:
        return _already_placed(attempt.pk)
    payment_id = attempt.payment_id or payment_hint[:64]
    if not payment_id:
        return Completion(Outcome.UNKNOWN, "We could not find your payment.", attempt_id=attempt.pk)
    try:
        payment = payments.get_gateway().get_payment(payment_id)
    except payments.ProcessorUnavailable:
        return Completion(
            Outcome.PROCESSOR_DOWN,
            "We could not reach the card processor to confirm your payment. Nothing is lost: "
            "reload this page in a minute, or look out for the confirmation e-mail.",
            attempt_id=attempt.pk,
        )
    except payments.ProcessorRefused:
        return Completion(
            Outcome.MISMATCH, "We could not find your payment.", attempt_id=attempt.pk
        )
    if payment.reference != attempt.pk:
        return Completion(
            Outcome.MISMATCH, "That payment is not for this order.", attempt_id=attempt.pk
        )
    return complete_attempt(payment=payment, actor="return page")
