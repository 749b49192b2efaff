"""Carts and their lines. A cart belongs either to a cookie (anonymous) or to an account."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from bungu.catalog.models import SKU


class CartQuerySet(models.QuerySet["Cart"]):
    def anonymous(self) -> CartQuerySet:
        return self.filter(user__isnull=True)

    def changed_since(self, moment: datetime) -> CartQuerySet:
        return self.filter(updated_at__gte=moment)

    def unchanged_since(self, moment: datetime) -> CartQuerySet:
        return self.filter(updated_at__lt=moment)


class Cart(models.Model):
    # SHA-256 of the cookie's token (see tokens.py); set on anonymous carts only.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="cart",
        on_delete=models.CASCADE,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on every change to the cart's lines: carts expire counting from here.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = CartQuerySet.as_manager()

    class Meta:
        constraints = [
            # An account's cart is found through the account, an anonymous one through its
            # cookie; a cart with both could be reached by whoever holds an old cookie.
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=True, token_hash__isnull=False)
                    | Q(user__isnull=False, token_hash__isnull=True)
                ),
                name="cart_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"cart {self.pk} of user {self.user_id}" if self.user_id else f"cart {self.pk}"

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, related_name="lines", on_delete=models.CASCADE)
    # A deleted SKU leaves the carts; a withdrawn one (inactive) stays, marked, out of totals.
    sku = models.ForeignKey(SKU, related_name="cart_lines", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="cartline_one_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x SKU {self.sku_id}"
