"""The adapter for the sandbox card processor (``python -m cardsandbox``), over HTTP.

P1, P2: the shop only ever sends the processor an amount, a currency, its attempt id and a
return URL; the card is typed on the processor's own page. What comes back is a token, the
brand, the last four digits and the expiry, never the number or the security code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings

from .interface import (
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

# The processor's webhook headers (case-insensitive).
EVENT_ID_HEADER = "cardsandbox-event-id"
TIMESTAMP_HEADER = "cardsandbox-timestamp"
SIGNATURE_HEADER = "cardsandbox-signature"
WEBHOOK_TOLERANCE_SECONDS = 300
PAGE_SIZE = 100


class SandboxGateway:
    """``Gateway`` for the sandbox processor; configured by the ``BUNGU_PROCESSOR_*`` settings."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        webhook_secrets: list[str] | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.webhook_secrets = list(
            settings.BUNGU_PROCESSOR_WEBHOOK_SECRETS if webhook_secrets is None else webhook_secrets
        )
        key = settings.BUNGU_PROCESSOR_API_KEY if api_key is None else api_key
        base_url = base_url or settings.BUNGU_PROCESSOR_URL
        page = httpx.URL(settings.BUNGU_PROCESSOR_PAGE_URL or base_url)
        self.page_origin = f"{page.scheme}://{page.netloc.decode('ascii')}"
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            timeout=settings.BUNGU_PROCESSOR_TIMEOUT if timeout is None else timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the pooled connections (the gateway ``get_gateway`` keeps lives as long as
        the process)."""
        self._client.close()

    # ------------------------------------------------------------ payments
    def create_payment(self, request: PaymentRequest) -> Payment:
        body = {
            "reference": request.reference,
            "amount": request.amount,
            "currency": request.currency,
            "return_url": request.return_url,
            "description": request.description,
        }
        # The attempt id is the idempotency key: a retry returns the same payment.
        return self._payment("POST", "/v1/payments", json=body, key=request.reference)

    def get_payment(self, payment_id: str) -> Payment:
        return self._payment("GET", f"/v1/payments/{_safe_id(payment_id)}")

    def capture(self, payment_id: str, *, amount: int, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{_safe_id(payment_id)}/capture"
        return self._payment("POST", path, json={"amount": amount}, key=idempotency_key)

    def void(self, payment_id: str, *, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{_safe_id(payment_id)}/void"
        return self._payment("POST", path, json={}, key=idempotency_key)

    def refund(self, payment_id: str, *, amount: int, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{_safe_id(payment_id)}/refund"
        return self._payment("POST", path, json={"amount": amount}, key=idempotency_key)

    def list_payments(
        self, *, created_after: datetime, created_before: datetime | None = None
    ) -> list[Payment]:
        params: dict[str, str | int] = {
            "created_after": created_after.isoformat(),
            "limit": PAGE_SIZE,
        }
        if created_before is not None:
            params["created_before"] = created_before.isoformat()
        found: list[Payment] = []
        while True:
            page = self._call("GET", "/v1/payments", params=params)
            found.extend(payment_from_json(item) for item in page["data"])
            if not page.get("has_more") or not page["data"]:
                return found
            params["starting_after"] = found[-1].id

    # ------------------------------------------------------------ webhooks
    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Accept only a body signed with one of the shop's active secrets within 300 s."""
        lowered = {name.lower(): value for name, value in headers.items()}
        event_id = lowered.get(EVENT_ID_HEADER, "")
        stamp = lowered.get(TIMESTAMP_HEADER, "")
        offered = [
            part.strip()[3:]
            for part in lowered.get(SIGNATURE_HEADER, "").split(",")
            if part.strip().startswith("v1=")
        ]
        if not (event_id and stamp and offered):
            raise InvalidWebhook("The webhook is not signed.")
        try:
            timestamp = int(stamp)
        except ValueError:
            raise InvalidWebhook("The webhook's timestamp is not a number.") from None
        if abs(time.time() - timestamp) > WEBHOOK_TOLERANCE_SECONDS:
            raise InvalidWebhook("The webhook's timestamp is too old (or in the future).")
        signed = f"{event_id}.{timestamp}.".encode() + body
        expected = [
            hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
            for secret in self.webhook_secrets
        ]
        # Every pair is compared, in constant time, so timing says nothing about which failed.
        matches = [hmac.compare_digest(e, o) for e in expected for o in offered]
        if not any(matches):
            raise InvalidWebhook("The webhook's signature does not match any active secret.")
        try:
            data = json.loads(body)
            if data["id"] != event_id:
                raise InvalidWebhook("The webhook's body names another event.")
            return WebhookEvent(
                id=data["id"],
                type=data["type"],
                created_at=datetime.fromisoformat(data["created_at"]),
                payment=payment_from_json(data["payment"]),
            )
        except (ValueError, KeyError, TypeError, ProcessorUnavailable) as exc:
            raise InvalidWebhook(f"The webhook's body cannot be read: {exc}") from None

    # ------------------------------------------------------------ HTTP
    def _payment(
        self, method: str, path: str, *, json: dict[str, Any] | None = None, key: str = ""
    ) -> Payment:
        return payment_from_json(self._call(method, path, json=json, key=key))

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str | int] | None = None,
        key: str = "",
    ) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = self._client.request(method, path, json=json, params=params, headers=headers)
        except httpx.HTTPError as exc:
            # Timeouts, refused connections: the request may or may not have happened, so
            # the caller retries with the same idempotency key.
            raise ProcessorUnavailable(f"The card processor did not answer: {exc}") from exc
        if response.status_code >= 500:
            raise ProcessorUnavailable(f"The card processor failed ({response.status_code}).")
        try:
            data = response.json()
        except ValueError:
            raise ProcessorUnavailable("The card processor's answer is not JSON.") from None
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            code = str(error.get("code", ""))
            message = str(error.get("message", f"Refused ({response.status_code})."))
            if response.status_code == 409 and code == "idempotency_key_reused":
                raise IdempotencyConflict(message, code=code)
            if response.status_code == 404:
                raise UnknownPayment(message, code=code or "unknown_payment")
            raise ProcessorRefused(message, code=code)
        return data


def _safe_id(payment_id: str) -> str:
    """A payment id goes into a URL path: anything but letters, digits and _ is refused."""
    if not payment_id or not payment_id.replace("_", "").isalnum() or not payment_id.isascii():
        raise UnknownPayment(f"{payment_id!r} is not a payment id.", code="unknown_payment")
    return payment_id


def payment_from_json(data: Mapping[str, Any]) -> Payment:
    """The processor's payment JSON as the shop's ``Payment``; unknown fields are ignored."""
    try:
        card = data.get("card")
        return Payment(
            id=str(data["id"]),
            reference=str(data["reference"]),
            state=PaymentState(data["state"]),
            amount=int(data["amount"]),
            currency=str(data["currency"]),
            checkout_url=str(data["checkout_url"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            captured=int(data.get("captured", 0)),
            refunded=int(data.get("refunded", 0)),
            card=(
                CardSummary(
                    brand=str(card["brand"]),
                    last4=str(card["last4"]),
                    exp_month=int(card["exp_month"]),
                    exp_year=int(card["exp_year"]),
                )
                if card
                else None
            ),
            token=str(data.get("token") or ""),
            decline_code=str(data.get("decline_code") or ""),
            authorised_at=_when(data.get("authorised_at")),
            expires_at=_when(data.get("expires_at")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProcessorUnavailable(f"The card processor's payment cannot be read: {exc}") from exc


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
