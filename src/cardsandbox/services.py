"""What the sandbox does to a payment: each use case once, each state change with its event.

Callers hold a transaction (SQLite IMMEDIATE: one writer at a time), so a read-check-write
here cannot race another worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from . import settings as conf
from .cards import Outcome, brand_of, outcome_of
from .models import (
    OPEN_STATES,
    Delivery,
    Event,
    IdempotencyKey,
    Payment,
    State,
    TestKnobs,
    WebhookMode,
    new_id,
)


class Refused(Exception):  # noqa: N818 - what the API answers with a 4xx
    """A request the sandbox will not carry out, with the HTTP status and a reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CardDetails:
    """A card as typed on the hosted page; lives only for the request (P2)."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self) -> str:
        # P2: never the number or the code in a traceback or a log line.
        return f"CardDetails(last4={self.number[-4:]!r})"


def create_payment(
    *, reference: str, amount: int, currency: str, return_url: str, description: str
) -> Payment:
    """A new pending payment with a hosted page that stays open ``SESSION_TTL`` seconds."""
    now = timezone.now()
    return Payment.objects.create(
        public_id=new_id("pay"),
        reference=reference,
        amount=amount,
        currency=currency,
        return_url=return_url,
        description=description,
        created_at=now,
        session_expires_at=now + timedelta(seconds=conf.SESSION_TTL),
    )


def get_payment(public_id: str) -> Payment:
    """The payment, expired first if its time is up. Raises Refused (404)."""
    try:
        payment = Payment.objects.get(public_id=public_id)
    except Payment.DoesNotExist:
        raise Refused(404, "unknown_payment", f"No payment with id {public_id!r}.") from None
    expire_if_due(payment)
    return payment


def expire_if_due(payment: Payment) -> None:
    if payment.is_due_to_expire(timezone.now()):
        _move(payment, State.EXPIRED, event="payment.expired")


def expire_due_payments() -> int:
    """Expire every open session and uncaptured authorisation whose time is up."""
    now = timezone.now()
    due = Payment.objects.filter(state__in=OPEN_STATES, session_expires_at__lte=now) | (
        Payment.objects.filter(state=State.AUTHORISED, authorisation_expires_at__lte=now)
    )
    count = 0
    for public_id in due.values_list("public_id", flat=True):
        with transaction.atomic():
            get_payment(public_id)  # expires it, if nobody else did meanwhile
            count += 1
    return count


def _require_state(payment: Payment, allowed: set[State], action: str) -> None:
    if payment.state not in allowed:
        raise Refused(
            409,
            "wrong_state",
            f"Cannot {action} a payment that is {payment.state.replace('_', ' ')}.",
        )


def capture_payment(payment: Payment, *, amount: int | None) -> Payment:
    """Capture ``amount`` (default: all) of an authorisation; the rest is released."""
    _require_state(payment, {State.AUTHORISED}, "capture")
    amount = payment.amount if amount is None else amount
    if amount > payment.amount:
        raise Refused(
            400,
            "amount_too_large",
            f"Cannot capture {amount}: only {payment.amount} was authorised.",
        )
    payment.captured = amount
    payment.authorisation_expires_at = None
    _move(payment, State.CAPTURED, event="payment.captured")
    return payment


def void_payment(payment: Payment) -> Payment:
    """Release an authorisation that nothing was captured from."""
    _require_state(payment, {State.AUTHORISED}, "void")
    payment.authorisation_expires_at = None
    _move(payment, State.VOIDED, event="payment.voided")
    return payment


def refund_payment(payment: Payment, *, amount: int | None) -> Payment:
    """Give back ``amount`` (default: all that is left) of what was captured, never more."""
    _require_state(payment, {State.CAPTURED, State.PARTIALLY_REFUNDED}, "refund")
    left = payment.captured - payment.refunded
    amount = left if amount is None else amount
    if amount > left:
        raise Refused(
            400,
            "amount_too_large",
            f"Cannot refund {amount}: only {left} of the {payment.captured} captured is left.",
        )
    payment.refunded += amount
    state = State.REFUNDED if payment.refunded == payment.captured else State.PARTIALLY_REFUNDED
    _move(payment, state, event="payment.refunded")
    return payment


def pay_with_card(payment: Payment, *, card: CardDetails) -> str:
    """Try the card on an open payment: returns the outcome ("approved", "challenge" or a
    decline code). The card becomes a token; only brand, last four and expiry are kept."""
    _require_open(payment)
    outcome = outcome_of(card.number)
    if outcome not in {Outcome.APPROVED, Outcome.CHALLENGE}:
        payment.decline_code = outcome
        payment.save(update_fields=["decline_code"])
        return outcome
    payment.token = new_id("tok")
    payment.brand = brand_of(card.number)
    payment.last4 = card.number[-4:]
    payment.exp_month = card.exp_month
    payment.exp_year = card.exp_year
    payment.decline_code = ""
    if outcome == Outcome.CHALLENGE:
        _move(payment, State.REQUIRES_ACTION, event=None)
        return outcome
    _authorise(payment)
    return outcome


def finish_challenge(payment: Payment, *, passed: bool) -> None:
    """The customer completed (or failed) the 3-D Secure-like challenge."""
    _require_state(payment, {State.REQUIRES_ACTION}, "authenticate")
    if passed:
        _authorise(payment)
        return
    payment.token = payment.brand = payment.last4 = ""
    payment.exp_month = payment.exp_year = None
    payment.decline_code = "authentication_failed"
    _move(payment, State.PENDING, event=None)


def cancel_payment(payment: Payment) -> None:
    """The customer gave up on the hosted page."""
    _require_open(payment)
    _move(payment, State.CANCELLED, event="payment.cancelled")


def _require_open(payment: Payment) -> None:
    _require_state(payment, set(OPEN_STATES), "pay")


def _authorise(payment: Payment) -> None:
    now = timezone.now()
    payment.authorised_at = now
    payment.authorisation_expires_at = now + timedelta(seconds=conf.AUTHORISATION_TTL)
    _move(payment, State.AUTHORISED, event="payment.authorised")


def _move(payment: Payment, state: State, *, event: str | None) -> None:
    payment.state = state
    payment.save()
    if event:
        record_event(payment, type=event)


def record_event(payment: Payment, *, type: str) -> Event:  # noqa: A002 - the event's type
    """Write the webhook event; the delivery loop sends it after this transaction commits."""
    now = timezone.now()
    public_id = new_id("evt")
    body = {
        "id": public_id,
        "type": type,
        "created_at": now.isoformat(),
        "payment": payment.as_json(),
    }
    knobs = TestKnobs.current()
    delivery, copies, next_attempt_at = Delivery.PENDING, 1, now
    if not knobs.url:
        delivery = Delivery.NO_URL
    elif knobs.webhook_mode == WebhookMode.DROP:
        delivery = Delivery.DROPPED
    elif knobs.webhook_mode == WebhookMode.DUPLICATE:
        copies = 2
    elif knobs.webhook_mode in {WebhookMode.DELAY, WebhookMode.REORDER}:
        next_attempt_at = now + timedelta(seconds=knobs.webhook_delay)
    return Event.objects.create(
        public_id=public_id,
        type=type,
        payment=payment,
        body=json.dumps(body, separators=(",", ":")),
        created_at=now,
        url=knobs.url,
        delivery=delivery,
        copies=copies,
        next_attempt_at=next_attempt_at if delivery == Delivery.PENDING else None,
    )


def prune_idempotency_keys(*, now: datetime) -> int:
    """Forget keys older than ``IDEMPOTENCY_HOURS`` (never less than a day)."""
    cutoff = now - timedelta(hours=conf.IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
