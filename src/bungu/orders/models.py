"""Orders, their lines and their events.

An order is kept for the law (tax records): erasing a customer's account anonymises their
orders rather than deleting them (``personal_data.py``). The card is kept only as the
processor's payment id and token, brand, last four digits and expiry (P2).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from bungu.catalog.models import SKU
from bungu.privacy import AppendOnlyViolation

from .states import LineState, Machine, OrderState, PaymentState, allowed

# Kept for tax law: seven years (and two days for leap years) after the order, then deleted.
ORDER_RETENTION_DAYS = 7 * 365 + 2


__all__ = [
    "ORDER_RETENTION_DAYS",
    "LineState",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderState",
    "PaymentState",
    "Refund",
    "ReturnLine",
    "ReturnRequest",
    "ReturnState",
    "Shipment",
]


class OrderQuerySet(models.QuerySet["Order"]):
    def of(self, customer_id: int) -> OrderQuerySet:
        return self.filter(customer_id=customer_id)


class Order(models.Model):
    # The customer comes first: the data map follows the first link to a user.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="orders",
        on_delete=models.PROTECT,
        help_text="Empty for a guest's order.",
    )
    number = models.CharField(max_length=16, unique=True, editable=False)
    email = models.EmailField("e-mail address", max_length=254)
    ship_recipient = models.CharField("recipient", max_length=150)
    ship_line1 = models.CharField("street address", max_length=200)
    ship_line2 = models.CharField("apartment, suite", max_length=200, blank=True)
    ship_city = models.CharField("city", max_length=100)
    ship_region = models.CharField("state or region", max_length=100, blank=True)
    ship_postal_code = models.CharField("postal code", max_length=20)
    ship_country = models.CharField("country", max_length=2)
    ship_phone = models.CharField("phone for the courier", max_length=30, blank=True)
    shipping_method = models.CharField(max_length=40)
    shipping_method_name = models.CharField("shipping", max_length=80)
    shipping_cost = models.DecimalField(max_digits=10, decimal_places=2)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField("sales tax", max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    state = models.CharField(max_length=20, choices=OrderState.choices, default=OrderState.PLACED)
    # The money, apart from the order's state: what the processor holds, took and gave back.
    payment_state = models.CharField(
        "payment", max_length=20, choices=PaymentState.choices, default=PaymentState.AUTHORISED
    )
    captured = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    refunded = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    gift_note = models.CharField(max_length=300, blank=True)
    # P2: what the shop may keep of a card; the number and the code never reach it.
    card_brand = models.CharField("card", max_length=20, blank=True)
    card_last4 = models.CharField("card ending in", max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    payment_id = models.CharField("processor's payment id", max_length=64)
    payment_token = models.CharField("processor's card token", max_length=128, blank=True)
    # One order per checkout attempt: the return page, the webhook and the reconciler all
    # converge on it.
    attempt_id = models.CharField(max_length=64, unique=True, editable=False)
    # P25: when the order was collected, so which notice binds it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="order_history_idx"),
            models.Index(fields=["state", "-created_at"], name="order_state_idx"),
        ]
        constraints = [
            # Never more refunded than captured, never more captured than charged.
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("captured"), captured__lte=F("total")),
                name="order_refund_within_capture",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("shipping_cost") + F("tax")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, shipping_cost__gte=0, tax__gte=0),
                name="order_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"number": self.number})

    @property
    def card_summary(self) -> str:
        """The card as the shop shows it (P2): brand and last four digits, nothing more."""
        if not self.card_last4:
            return ""
        return f"{self.card_brand or 'Card'} ending in {self.card_last4}"

    @property
    def address_lines(self) -> list[str]:
        place = " ".join(p for p in (self.ship_city, self.ship_region, self.ship_postal_code) if p)
        parts = [self.ship_recipient, self.ship_line1, self.ship_line2, place, self.ship_country]
        return [p for p in parts if p]

    @property
    def is_cancellable(self) -> bool:
        return allowed(Machine.ORDER, self.state, OrderState.CANCELLED)

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded


class OrderLine(models.Model):
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    # A deleted SKU leaves the line as it was sold: code, name and price are copied.
    sku = models.ForeignKey(SKU, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)
    sku_code = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total = models.DecimalField(max_digits=10, decimal_places=2)
    state = models.CharField(max_length=20, choices=LineState.choices, default=LineState.WAITING)
    shipment = models.ForeignKey(
        "Shipment", null=True, blank=True, related_name="lines", on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orderline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="orderline_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku_code}"


class OrderEvent(models.Model):
    """What happened to an order, who did it and when. Append-only: never changed, never
    deleted on its own."""

    class Kind(models.TextChoices):
        PLACED = "placed", "Order placed"
        # P23: a supervised account's order, approved (and paid) by the guardian.
        APPROVED = "approved", "Approved by guardian"
        CANCELLED = "cancelled", "Order cancelled"
        PAYMENT_VOIDED = "payment_voided", "Payment released"
        PICKED = "picked", "Lines picked"
        SHIPPED = "shipped", "Lines shipped"
        CAPTURED = "captured", "Payment captured"
        DELIVERED = "delivered", "Order delivered"
        REFUNDED = "refunded", "Refunded"
        RETURN_REQUESTED = "return_requested", "Return requested"
        RETURN_APPROVED = "return_approved", "Return approved"
        RETURN_REJECTED = "return_rejected", "Return rejected"
        RETURN_RECEIVED = "return_received", "Return received"
        # P13: what the delivery company reports of a parcel, through the agents' API.
        TRACKING = "tracking", "Tracking update"

    order = models.ForeignKey(Order, related_name="events", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Who: "customer", "guest", "staff #12", "checkout", "webhook", "reconciler".
    actor = models.CharField(max_length=40)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation("An order event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("An order event is never deleted on its own.")


class Shipment(models.Model):
    """Lines that left the warehouse together, with the carrier and its tracking number."""

    order = models.ForeignKey(Order, related_name="shipments", on_delete=models.CASCADE)
    carrier = models.CharField(max_length=20)
    tracking_number = models.CharField(max_length=64)
    # What the processor captured when this parcel left (0 when an earlier capture covered it).
    captured = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    actor = models.CharField(max_length=40)
    shipped_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["shipped_at", "id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class Refund(models.Model):
    """Money given back, with the reason; one per refund form (its idempotency key)."""

    order = models.ForeignKey(Order, related_name="refunds", on_delete=models.CASCADE)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=64, unique=True)
    return_request = models.ForeignKey(
        "ReturnRequest", null=True, blank=True, related_name="refunds", on_delete=models.PROTECT
    )
    actor = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"Refund of {self.amount} on order {self.order_id}"


class ReturnState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RECEIVED = "received", "Received"
    REFUNDED = "refunded", "Refunded"


class ReturnRequest(models.Model):
    """A customer asked to send some shipped units back."""

    order = models.ForeignKey(Order, related_name="returns", on_delete=models.CASCADE)
    state = models.CharField(
        max_length=12, choices=ReturnState.choices, default=ReturnState.REQUESTED
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Return {self.pk} of order {self.order_id}"


class ReturnLine(models.Model):
    return_request = models.ForeignKey(
        ReturnRequest, related_name="lines", on_delete=models.CASCADE
    )
    line = models.ForeignKey(OrderLine, related_name="return_lines", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["return_request", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="returnline_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x line {self.line_id}"
