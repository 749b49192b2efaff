"""Jobs that keep checkout and the processor in step (run every 10 minutes).

* ``handle_webhook``: a processor notification, verified, handled once per event id.
* ``reconcile_payments``: the processor's recent payments. An authorisation without an order
  becomes the order while its attempt is still valid, or is voided once it is older than
  ``BUNGU_PAYMENT_VOID_GRACE_MINUTES`` (the return page and the webhook had their chance).
  An order still standing on a voided authorisation (a cancellation interrupted after the
  processor released the money) is cancelled.
* ``release_expired_holds``: stock held by attempts whose hold ran out goes back on sale.

``bungu reconcile_payments`` runs the last two; the operations app declares it as a periodic
job (every 10 minutes) once it exists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bungu import payments
from bungu.orders import services as orders

from .models import ATTEMPT_RETENTION_DAYS, AttemptState, CheckoutAttempt, WebhookReceipt
from .services import (
    Completion,
    Outcome,
    Release,
    complete_attempt,
    release_hold,
    void_unless_ordered,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the webhook
class WebhookRetryLater(Exception):  # noqa: N818 - a domain noun
    """The processor could not be asked about the payment: answer 503 so it retries."""


def handle_webhook(*, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify a notification and act on it once per event id; returns what was done.
    Raises InvalidWebhook (answer 400) or WebhookRetryLater (answer 503)."""
    gateway = payments.get_gateway()
    event = gateway.verify_webhook(body=body, headers=headers)
    if orders.find_order_for_attempt(attempt_id=event.payment.reference) is not None:
        # The return page (or an earlier event) made the order: whatever the payment's state
        # now, complete_attempt would only find that order, so the processor is not asked
        # again. The receipt's unique event id still tells a repeat.
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(
                    event_id=event.id, type=event.type[:60], payment_id=event.payment.id[:64]
                )
        except IntegrityError:
            return "already handled"
        return Outcome.PLACED.value
    if WebhookReceipt.objects.filter(event_id=event.id).exists():
        return "already handled"
    try:
        # The event may be older than the payment's state: ask the processor afresh.
        payment = gateway.get_payment(event.payment.id)
    except payments.ProcessorUnavailable:
        raise WebhookRetryLater(event.id) from None
    except payments.UnknownPayment:
        payment = event.payment
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(
                event_id=event.id, type=event.type[:60], payment_id=payment.id[:64]
            )
            if not CheckoutAttempt.objects.filter(pk=payment.reference).exists():
                return "not one of ours"
            completion = complete_attempt(payment=payment, actor="webhook")
    except IntegrityError:
        return "already handled"
    return completion.outcome.value


# ---------------------------------------------------------------- reconciliation
class ReconcileFailedError(Exception):
    """A reconciliation run could not finish everything (it is retried on the next run)."""


@dataclass
class ReconcileReport:
    placed: list[str] = field(default_factory=list)  # order numbers
    voided: list[str] = field(default_factory=list)  # payment ids
    cancelled: list[str] = field(default_factory=list)  # order numbers
    holds_released: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        cancelled = f", {len(self.cancelled)} cancellations finished" if self.cancelled else ""
        return (
            f"{len(self.placed)} orders placed, {len(self.voided)} authorisations voided, "
            f"{self.holds_released} holds released{cancelled}, {len(self.errors)} errors"
        )


def _valid(attempt: CheckoutAttempt | None) -> bool:
    return attempt is not None and attempt.state in {AttemptState.OPEN, AttemptState.PAYING}


def reconcile_payments(*, now: datetime | None = None) -> ReconcileReport:
    """Make every recent authorisation an order or release it; then release expired holds."""
    now = now or timezone.now()
    report = ReconcileReport()
    gateway = payments.get_gateway()
    since = now - timedelta(hours=settings.BUNGU_RECONCILE_LOOKBACK_HOURS)
    grace = timedelta(minutes=settings.BUNGU_PAYMENT_VOID_GRACE_MINUTES)
    try:
        recent = gateway.list_payments(created_after=since)
    except payments.PaymentError as error:
        report.errors.append(f"listing payments: {error}")
        recent = []
    for payment in recent:
        if payment.state == payments.PaymentState.VOIDED:
            _finish_cancellation(payment, report)
            continue
        if payment.state != payments.PaymentState.AUTHORISED:
            continue
        if orders.find_order_for_attempt(attempt_id=payment.reference) is not None:
            continue
        attempt = CheckoutAttempt.objects.filter(pk=payment.reference).first()
        if _valid(attempt):
            completion: Completion = complete_attempt(payment=payment, actor="reconciler")
            if completion.outcome == Outcome.PLACED and completion.order is not None:
                report.placed.append(completion.order.number)
            elif completion.outcome in {Outcome.OUT_OF_STOCK, Outcome.MISMATCH}:
                report.voided.append(payment.id)
            continue
        authorised_at = payment.authorised_at or payment.created_at
        if now - authorised_at >= grace:
            release = void_unless_ordered(attempt_id=payment.reference, payment_id=payment.id)
            if release == Release.RELEASED:
                report.voided.append(payment.id)
            elif release == Release.FAILED:
                report.errors.append(f"could not void {payment.id}")
    report.holds_released = release_expired_holds(now=now)
    return report


def _finish_cancellation(payment: payments.Payment, report: ReconcileReport) -> None:
    """An order whose authorisation was released but which still stands: its cancellation
    stopped between the processor and the shop's commit. It can never be charged, so it is
    cancelled (its stock goes back on sale) rather than left to be shipped unpaid."""
    order = orders.find_order_for_attempt(attempt_id=payment.reference)
    if order is None or order.payment_id != payment.id or not order.is_cancellable:
        return
    try:
        orders.cancel_order(order=order, actor="reconciler")
    except orders.OrderError as error:
        report.errors.append(f"could not cancel {order.number}: {error}")
        return
    report.cancelled.append(order.number)


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Give back the stock of every attempt whose hold ran out; returns how many."""
    now = now or timezone.now()
    ids = list(
        CheckoutAttempt.objects.filter(hold_expires_at__lt=now)
        .exclude(held={})
        .values_list("pk", flat=True)
    )
    released = 0
    for attempt_id in ids:
        with transaction.atomic():
            attempt = CheckoutAttempt.objects.select_for_update().get(pk=attempt_id)
            if attempt.held and attempt.hold_expires_at and attempt.hold_expires_at < now:
                # A payment authorised later takes the stock again, if it is still there.
                release_hold(attempt)
                attempt.save()
                released += 1
    return released


def purge_old_attempts(*, now: datetime | None = None) -> int:
    """P5: delete checkout attempts older than their declared retention; one still holding
    stock gives it back first."""
    cutoff = (now or timezone.now()) - timedelta(days=ATTEMPT_RETENTION_DAYS)
    release_expired_holds(now=now)
    deleted, _ = CheckoutAttempt.objects.filter(created_at__lt=cutoff, held={}).delete()
    return deleted
