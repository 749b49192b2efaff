"""An in-memory card processor implementing ``bungu.payments.Gateway`` for the tests.

Its "hosted page" is driven from the test: ``authorise(payment_id)``, ``decline(...)``,
``cancel(...)``; ``down = True`` makes every call time out; ``signed_webhook(...)`` builds a
notification the way the processor would sign it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from django.utils import timezone

from bungu.payments import (
    CardSummary,
    IdempotencyConflict,
    InvalidWebhook,
    Payment,
    PaymentRequest,
    PaymentState,
    ProcessorRefused,
    ProcessorUnavailable,
    UnknownPayment,
    WebhookEvent,
)

SECRET = b"fake-processor-webhook-secret"
VISA = CardSummary(brand="Visa", last4="4242", exp_month=12, exp_year=2030)


class FakeGateway:
    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self.by_reference: dict[str, str] = {}
        self.down = False
        self.calls: list[tuple[str, str]] = []
        self.session_minutes = 30
        self.page_origin = "https://processor.test"

    # ------------------------------------------------------------ the Gateway protocol
    def _check(self, name: str, key: str) -> None:
        self.calls.append((name, key))
        if self.down:
            raise ProcessorUnavailable("timed out")

    def _get(self, payment_id: str) -> Payment:
        try:
            return self.payments[payment_id]
        except KeyError:
            raise UnknownPayment(f"no payment {payment_id}") from None

    def create_payment(self, request: PaymentRequest) -> Payment:
        self._check("create", request.reference)
        known = self.by_reference.get(request.reference)
        if known is not None:
            payment = self.payments[known]
            if (payment.amount, payment.currency) != (request.amount, request.currency):
                raise IdempotencyConflict("same reference, other parameters")
            return payment
        payment_id = "pay_" + secrets.token_hex(8)
        now = timezone.now()
        payment = Payment(
            id=payment_id,
            reference=request.reference,
            state=PaymentState.PENDING,
            amount=request.amount,
            currency=request.currency,
            checkout_url=f"https://processor.test/pay/{payment_id}",
            created_at=now,
            expires_at=now + timedelta(minutes=self.session_minutes),
        )
        self.payments[payment_id] = payment
        self.by_reference[request.reference] = payment_id
        return payment

    def get_payment(self, payment_id: str) -> Payment:
        self._check("get", payment_id)
        return self._get(payment_id)

    def capture(self, payment_id: str, *, amount: int, idempotency_key: str) -> Payment:
        self._check("capture", payment_id)
        payment = replace(self._get(payment_id), state=PaymentState.CAPTURED, captured=amount)
        self.payments[payment_id] = payment
        return payment

    def void(self, payment_id: str, *, idempotency_key: str) -> Payment:
        self._check("void", payment_id)
        payment = self._get(payment_id)
        if payment.state == PaymentState.VOIDED:
            return payment
        if payment.state != PaymentState.AUTHORISED:
            raise ProcessorRefused(f"cannot void a {payment.state} payment")
        payment = replace(payment, state=PaymentState.VOIDED)
        self.payments[payment_id] = payment
        return payment

    def refund(self, payment_id: str, *, amount: int, idempotency_key: str) -> Payment:
        self._check("refund", payment_id)
        payment = self._get(payment_id)
        payment = replace(payment, refunded=payment.refunded + amount, state=PaymentState.REFUNDED)
        self.payments[payment_id] = payment
        return payment

    def list_payments(
        self, *, created_after: datetime, created_before: datetime | None = None
    ) -> list[Payment]:
        self._check("list", "")
        return sorted(
            (
                p
                for p in self.payments.values()
                if p.created_at >= created_after
                and (created_before is None or p.created_at < created_before)
            ),
            key=lambda p: p.created_at,
        )

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = headers.get("X-Fake-Signature", "")
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            raise InvalidWebhook("bad signature")
        try:
            data = json.loads(body)
            payment = self._get(str(data["payment"]))
        except (ValueError, KeyError, UnknownPayment):
            raise InvalidWebhook("malformed body") from None
        return WebhookEvent(
            id=str(data["id"]), type=str(data["type"]), created_at=timezone.now(), payment=payment
        )

    # ------------------------------------------------------------ the "hosted page", driven
    def authorise(
        self, payment_id: str, *, card: CardSummary = VISA, amount: int | None = None
    ) -> Payment:
        payment = self._get(payment_id)
        payment = replace(
            payment,
            state=PaymentState.AUTHORISED,
            card=card,
            token="tok_" + secrets.token_hex(6),
            authorised_at=timezone.now(),
            amount=payment.amount if amount is None else amount,
        )
        self.payments[payment_id] = payment
        return payment

    def decline(self, payment_id: str, *, code: str = "card_declined") -> Payment:
        payment = replace(self._get(payment_id), decline_code=code)
        self.payments[payment_id] = payment
        return payment

    def cancel(self, payment_id: str) -> Payment:
        payment = replace(self._get(payment_id), state=PaymentState.CANCELLED)
        self.payments[payment_id] = payment
        return payment

    def age(self, payment_id: str, *, minutes: int) -> None:
        payment = self._get(payment_id)
        earlier = timedelta(minutes=minutes)
        self.payments[payment_id] = replace(
            payment,
            created_at=payment.created_at - earlier,
            authorised_at=payment.authorised_at - earlier if payment.authorised_at else None,
        )

    def payment_for(self, reference: str) -> Payment:
        return self.payments[self.by_reference[reference]]

    def signed_webhook(
        self, payment_id: str, *, event_id: str = "", kind: str = "payment.authorised"
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(
            {"id": event_id or "evt_" + secrets.token_hex(6), "type": kind, "payment": payment_id}
        ).encode()
        signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        return body, {"X-Fake-Signature": signature}
