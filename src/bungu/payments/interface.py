"""The card processor as the shop sees it: typed requests and answers behind one interface.

A gateway adapter (the sandbox's, later a real processor's) turns these into the processor's
own API. Nothing here can carry a card number or a security code (P2): the shop knows a
payment by the processor's id, a token, and the card's brand, last four digits and expiry.

Amounts are integer minor units (cents) with an ISO 4217 currency code; never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class PaymentState(StrEnum):
    PENDING = "pending"  # created; the customer has not finished on the processor's page
    REQUIRES_ACTION = "requires_action"  # a 3-D Secure challenge is waiting for the customer
    AUTHORISED = "authorised"  # the money is held, nothing captured yet
    CAPTURED = "captured"  # some or all captured; what was not captured has been released
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"  # everything captured has been refunded
    VOIDED = "voided"  # the authorisation was released before any capture
    EXPIRED = "expired"  # the session or the uncaptured authorisation ran out
    CANCELLED = "cancelled"  # the customer gave up on the processor's page

    @property
    def holds_money(self) -> bool:
        """True while the customer's money is authorised or captured and not all given back."""
        return self in {
            PaymentState.AUTHORISED,
            PaymentState.CAPTURED,
            PaymentState.PARTIALLY_REFUNDED,
        }


@dataclass(frozen=True, slots=True)
class CardSummary:
    """What the shop may keep and show of a card (P2): never the number or the code."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int

    def __post_init__(self) -> None:
        if len(self.last4) != 4 or not self.last4.isdigit():
            raise ValueError("last4 must be exactly four digits")

    def __str__(self) -> str:
        return f"{self.brand} ending in {self.last4}"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """Ask the processor for a hosted payment page for one checkout attempt.

    ``reference`` is the shop's checkout attempt id and also the idempotency key: asking
    twice with the same reference and amount returns the same payment.
    """

    reference: str
    amount: int
    currency: str
    return_url: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """The processor's view of one payment, as last read from it."""

    id: str
    reference: str
    state: PaymentState
    amount: int  # authorised (or requested, while pending)
    currency: str
    checkout_url: str  # the hosted payment page; the customer is redirected there
    created_at: datetime
    captured: int = 0
    refunded: int = 0
    card: CardSummary | None = None
    token: str = ""  # the processor's token for the card, never the card itself
    decline_code: str = ""  # why the last attempt on the hosted page failed, if it did
    authorised_at: datetime | None = None
    expires_at: datetime | None = None  # when the session or the authorisation runs out

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified notification from the processor. The same ``id`` may arrive more than once."""

    id: str
    type: str  # e.g. "payment.authorised", "payment.captured", "payment.refunded"
    created_at: datetime
    payment: Payment


class PaymentError(Exception):
    """Base of everything a gateway raises."""


class ProcessorUnavailable(PaymentError):  # noqa: N818 - a domain noun
    """The processor did not answer in time, or answered with a server error: try later."""


class ProcessorRefused(PaymentError):  # noqa: N818 - a domain noun
    """The processor understood the request and refused it (4xx): it will refuse it again."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class IdempotencyConflict(ProcessorRefused):
    """The same idempotency key was used before with other parameters."""


class UnknownPayment(ProcessorRefused):
    """The processor has no payment with that id."""


class InvalidWebhook(PaymentError):  # noqa: N818 - a domain noun
    """A webhook whose signature, timestamp or body cannot be trusted."""


class Gateway(Protocol):
    """What the shop needs from a card processor. Adapters implement it; ``get_gateway``
    returns the one named by ``settings.BUNGU_PAYMENT_GATEWAY``."""

    @property
    def page_origin(self) -> str:
        """The origin (``scheme://host[:port]``) of the processor's hosted payment page.
        "Place order" is answered with a redirect there, and browsers hold that redirect to
        the form's Content-Security-Policy (form-action), so the shop's page allows it."""

    def create_payment(self, request: PaymentRequest) -> Payment:
        """Create (or, for a known reference, return) a payment with a hosted page."""

    def get_payment(self, payment_id: str) -> Payment:
        """Read the payment's current state. Raises UnknownPayment."""

    def capture(self, payment_id: str, *, amount: int, idempotency_key: str) -> Payment:
        """Capture ``amount`` (at most the authorised amount); the rest is released."""

    def void(self, payment_id: str, *, idempotency_key: str) -> Payment:
        """Release an authorisation that has not been captured."""

    def refund(self, payment_id: str, *, amount: int, idempotency_key: str) -> Payment:
        """Give back ``amount`` of what was captured (never more than captured)."""

    def list_payments(
        self, *, created_after: datetime, created_before: datetime | None = None
    ) -> list[Payment]:
        """Every payment created in the window, oldest first (for reconciliation)."""

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Check the signature and timestamp and parse the event. Raises InvalidWebhook."""
