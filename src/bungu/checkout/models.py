"""Shipping methods and rates, sales tax rates (tables staff edit), checkout attempts and the
webhooks already handled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bungu.accounts.models import SHIPPING_COUNTRIES
from bungu.cart.models import Cart

# P5: a checkout attempt (e-mail, address) is kept this long; the order keeps what lasts.
ATTEMPT_RETENTION_DAYS = 90
# A gift note fits on the packing slip.
GIFT_NOTE_LENGTH = 200


class ShippingMethod(models.Model):
    class Speed(models.TextChoices):
        STANDARD = "standard", "Standard"
        EXPRESS = "express", "Express"

    class Kind(models.TextChoices):
        FLAT = "flat", "One price"
        FREE_ABOVE = "free_above", "One price, free above a threshold"
        WEIGHT_BANDS = "weight_bands", "By weight bands"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    speed = models.CharField(max_length=10, choices=Speed.choices)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="For one price and free-above methods.",
    )
    free_above = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Subtotal from which shipping is free.",
    )
    delivery_note = models.CharField(max_length=120, blank=True, help_text='"3 to 5 days".')
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="shipping_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind="free_above") | Q(free_above__isnull=False),
                name="shipping_free_above_has_threshold",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def cost(self, *, subtotal: Decimal, weight_grams: int) -> Decimal | None:
        """What this method costs for an order; None when it cannot carry it (too heavy for
        every band). Reads ``bands`` from a prefetch where there is one."""
        if self.kind == self.Kind.FLAT:
            return self.price
        if self.kind == self.Kind.FREE_ABOVE:
            assert self.free_above is not None  # noqa: S101 - the constraint says so
            return Decimal("0.00") if subtotal >= self.free_above else self.price
        bands = sorted(self.bands.all(), key=lambda b: (b.up_to_grams is None, b.up_to_grams or 0))
        for band in bands:
            if band.up_to_grams is None or weight_grams <= band.up_to_grams:
                return band.price
        return None


class ShippingRate(models.Model):
    """One weight band of a method priced by weight: up to this weight, this price."""

    method = models.ForeignKey(ShippingMethod, related_name="bands", on_delete=models.CASCADE)
    up_to_grams = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: any weight above the other bands."
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )

    class Meta:
        ordering = ["method", "up_to_grams"]
        constraints = [
            models.UniqueConstraint(fields=["method", "up_to_grams"], name="shipping_band_once"),
        ]

    def __str__(self) -> str:
        limit = f"up to {self.up_to_grams} g" if self.up_to_grams is not None else "heavier"
        return f"{self.method}: {limit}: ${self.price}"


class TaxRate(models.Model):
    """A US state's sales tax rate (the state's base rate; staff keep it up to date)."""

    region = models.CharField("state code", max_length=2, unique=True)
    name = models.CharField(max_length=60)
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=5,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.2"))],
        help_text="0.0725 for 7.25 %.",
    )
    taxes_shipping = models.BooleanField(default=False)

    class Meta:
        ordering = ["region"]

    def __str__(self) -> str:
        return f"{self.name} ({self.region}): {self.rate * 100:.3f} %"


class AttemptState(models.TextChoices):
    OPEN = "open", "Filling in"  # details given; no payment yet
    PAYING = "paying", "At the processor"  # stock held, a payment created
    COMPLETED = "completed", "Order placed"
    FAILED = "failed", "Failed"  # the payment was cancelled, refused or mismatched
    ABANDONED = "abandoned", "Replaced"  # the cart changed after a payment was created
    # P23: a supervised account's order, priced and waiting for the guardian (no payment, no
    # stock held); approving moves it to PAYING with the guardian as the payer.
    AWAITING_APPROVAL = "awaiting", "Waiting for the guardian's approval"
    DECLINED = "declined", "Declined by the guardian"


@dataclass(frozen=True)
class SnapshotLine:
    """A line of what "Place order" priced (the attempt's ``lines``), for pages and e-mails."""

    sku_id: int
    sku_code: str
    name: str
    unit_price: Decimal
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class CheckoutAttempt(models.Model):
    """One go at paying for a cart. Its id is the processor's reference and idempotency key,
    so retrying it never makes a second payment; it becomes at most one order."""

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    # The customer first: the data map follows the first link to a user.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
    )
    cart = models.ForeignKey(
        Cart, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    email = models.EmailField(max_length=254)
    # P23: when a guest stated that they are 18 or over.
    adult_declared_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField("recipient's name", max_length=150)
    line1 = models.CharField("street address", max_length=200)
    line2 = models.CharField("apartment, suite, building", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state, province or prefecture", max_length=100, blank=True)
    postal_code = models.CharField("ZIP or postal code", max_length=20)
    country = models.CharField(max_length=2, choices=SHIPPING_COUNTRIES, default="US")
    phone = models.CharField("phone for the courier", max_length=30, blank=True)
    gift_note = models.CharField(max_length=GIFT_NOTE_LENGTH, blank=True)
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    state = models.CharField(max_length=10, choices=AttemptState.choices, default=AttemptState.OPEN)
    # What "Place order" priced, held and asked the processor for.
    lines = models.JSONField(default=list, blank=True)
    held = models.JSONField(default=dict, blank=True)  # SKU id (text) -> units held
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    shipping_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    tax = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    fingerprint = models.CharField(max_length=64, blank=True)
    payment_id = models.CharField(max_length=64, blank=True, db_index=True)
    failure = models.CharField(max_length=300, blank=True)
    # When an authorisation of this attempt that made no order was voided. Two nodes may void
    # it at once (one idempotency key, so the processor voids it once); the one that records
    # the release first is the one that reports it.
    payment_released_at = models.DateTimeField(null=True, blank=True)
    # P23: the guardian asked to approve a supervised account's order, and what they did.
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    approval_requested_at = models.DateTimeField(null=True, blank=True)
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "hold_expires_at"], name="attempt_hold_idx"),
            models.Index(fields=["guardian", "state"], name="attempt_guardian_idx"),
        ]

    def __str__(self) -> str:
        return f"checkout {self.id} ({self.get_state_display()})"

    @property
    def held_lines(self) -> dict[int, int]:
        return {int(sku_id): int(units) for sku_id, units in (self.held or {}).items()}

    def approval_expired(self, *, now: datetime | None = None) -> bool:
        """Whether a request for the guardian's approval ran out before they approved it."""
        return self.approval_expires_at is not None and self.approval_expires_at <= (
            now or timezone.now()
        )

    @property
    def awaiting_approval(self) -> bool:
        return self.state == AttemptState.AWAITING_APPROVAL and not self.approval_expired()

    def snapshot_lines(self) -> list[SnapshotLine]:
        return [
            SnapshotLine(
                sku_id=int(line["sku_id"]),
                sku_code=str(line["sku_code"]),
                name=str(line["name"]),
                unit_price=Decimal(str(line["unit_price"])),
                quantity=int(line["quantity"]),
            )
            for line in self.lines or []
        ]

    def address_lines(self) -> list[str]:
        place = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        parts = [self.recipient, self.line1, self.line2, place, self.get_country_display()]
        return [p for p in parts if p]


class WebhookReceipt(models.Model):
    """A processor event already handled: the same event delivered again changes nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=60)
    payment_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
