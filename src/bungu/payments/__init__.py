"""Payments: the card processor behind one typed interface, the adapter chosen by a setting.

The shop keeps no card data (P2); checkout and orders call these names only.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .interface import (
    CardSummary,
    Gateway,
    IdempotencyConflict,
    InvalidWebhook,
    Payment,
    PaymentError,
    PaymentRequest,
    PaymentState,
    ProcessorRefused,
    ProcessorUnavailable,
    UnknownPayment,
    WebhookEvent,
)

__all__ = [
    "CardSummary",
    "Gateway",
    "IdempotencyConflict",
    "InvalidWebhook",
    "Payment",
    "PaymentError",
    "PaymentRequest",
    "PaymentState",
    "ProcessorRefused",
    "ProcessorUnavailable",
    "UnknownPayment",
    "WebhookEvent",
    "get_gateway",
]


@cache
def get_gateway() -> Gateway:
    """The adapter named by ``settings.BUNGU_PAYMENT_GATEWAY``, built once per process."""
    factory = import_string(settings.BUNGU_PAYMENT_GATEWAY)
    gateway: Gateway = factory()
    return gateway
