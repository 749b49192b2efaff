"""The sandbox's records: payments, idempotency keys, webhook events and the test knobs.

P2: a payment keeps the card's token, brand, last four digits and expiry, never the number
or the security code.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from . import settings as conf


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class State(models.TextChoices):
    # The same words as the shop's PaymentState; the two share no code.
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    AUTHORISED = "authorised"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN_STATES = {State.PENDING, State.REQUIRES_ACTION}


class Payment(models.Model):
    objects: ClassVar[models.Manager[Payment]] = models.Manager()
    # The auto-increment key orders the reconciliation list; ``public_id`` is the API's id.
    public_id = models.CharField(max_length=40, unique=True)
    reference = models.CharField(max_length=200)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    return_url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=24, choices=State.choices, default=State.PENDING)
    captured = models.PositiveBigIntegerField(default=0)
    refunded = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=40, blank=True)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True)
    exp_year = models.PositiveSmallIntegerField(null=True)
    decline_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(db_index=True)
    authorised_at = models.DateTimeField(null=True)
    session_expires_at = models.DateTimeField()
    authorisation_expires_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(captured__lte=models.F("amount")), name="captured_le_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded__lte=models.F("captured")),
                name="refunded_le_captured",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def expires_at(self) -> datetime | None:
        if self.state in OPEN_STATES:
            return self.session_expires_at
        if self.state == State.AUTHORISED:
            return self.authorisation_expires_at
        return None

    def is_due_to_expire(self, now: datetime) -> bool:
        expires_at = self.expires_at
        return expires_at is not None and expires_at <= now

    @property
    def checkout_url(self) -> str:
        return f"{conf.PUBLIC_URL}/pay/{self.public_id}"

    def as_json(self) -> dict[str, Any]:
        """The payment as the API shows it: the fields of the shop's ``Payment``."""
        card = None
        if self.last4:
            card = {
                "brand": self.brand,
                "last4": self.last4,
                "exp_month": self.exp_month,
                "exp_year": self.exp_year,
            }
        return {
            "id": self.public_id,
            "object": "payment",
            "reference": self.reference,
            "state": self.state,
            "amount": self.amount,
            "currency": self.currency,
            "checkout_url": self.checkout_url,
            "created_at": self.created_at.isoformat(),
            "captured": self.captured,
            "refunded": self.refunded,
            "card": card,
            "token": self.token,
            "decline_code": self.decline_code,
            "authorised_at": self.authorised_at.isoformat() if self.authorised_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "return_url": self.return_url,
            "description": self.description,
        }


class IdempotencyKey(models.Model):
    """One use of an ``Idempotency-Key`` on one endpoint, and what it answered."""

    objects: ClassVar[models.Manager[IdempotencyKey]] = models.Manager()
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "path"], name="one_use_per_key")]

    def __str__(self) -> str:
        return f"{self.path} {self.key}"


class Delivery(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed
    DROPPED = "dropped"  # the "drop" test knob kept it back
    NO_URL = "no_url"  # no webhook URL was configured when it happened


class Event(models.Model):
    """A webhook event and its delivery. The body is signed and sent as stored."""

    objects: ClassVar[models.Manager[Event]] = models.Manager()
    public_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=40)
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    body = models.TextField()
    created_at = models.DateTimeField()
    url = models.CharField(max_length=2000, blank=True)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.PENDING)
    copies = models.PositiveSmallIntegerField(default=1)  # 2 under the "duplicate" knob
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, db_index=True)
    delivered_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class WebhookMode(models.TextChoices):
    NORMAL = "normal"
    DUPLICATE = "duplicate"  # each event is delivered twice, same id
    REORDER = "reorder"  # events wait ``delay`` seconds and go out newest first
    DELAY = "delay"  # each event waits ``delay`` seconds
    DROP = "drop"  # events are recorded but never sent


class TestKnobs(models.Model):
    """The webhook test knobs, one row, shared by the web workers and the delivery loop."""

    objects: ClassVar[models.Manager[TestKnobs]] = models.Manager()
    __test__ = False  # not a pytest class
    webhook_mode = models.CharField(max_length=12, choices=WebhookMode.choices)
    webhook_delay = models.FloatField()
    webhook_url = models.CharField(max_length=2000, blank=True)  # "" means the env's URL

    def __str__(self) -> str:
        return self.webhook_mode

    @classmethod
    def current(cls) -> TestKnobs:
        knobs, _ = cls.objects.get_or_create(
            pk=1,
            defaults={
                "webhook_mode": conf.WEBHOOK_MODE,
                "webhook_delay": conf.WEBHOOK_DELAY,
            },
        )
        return knobs

    @property
    def url(self) -> str:
        return self.webhook_url or conf.WEBHOOK_URL
