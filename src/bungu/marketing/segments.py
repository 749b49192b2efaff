"""The marketing app's own segments, over orders and accounts (lower layers it may read).
Other apps declare theirs in their own ``segments.py`` (``bungu.segments``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from bungu.catalog.models import Category
from bungu.orders.models import Order, OrderLine, OrderState
from bungu.segments import Segment

LAST_YEAR = timedelta(days=365)
# Orders that did not end in a purchase do not count as having bought.
_NOT_BOUGHT = [OrderState.CANCELLED, OrderState.RETURNED]
MAX_ARGUMENT_LENGTH = 200


def category_choices() -> list[tuple[str, str]]:
    return [(c.path, str(c)) for c in Category.objects.order_by("path")]


def bought_in_category(*, argument: str, now: datetime) -> Any:
    """Customers who bought something in the category (or below it) in the last year."""
    category = Category.objects.filter(path=argument.strip()).first()
    if category is None:
        raise ValueError(f"There is no category {argument.strip()[:80]!r}.")
    return (
        OrderLine.objects.filter(
            Q(sku__product__category__path=category.path)
            | Q(sku__product__category__path__startswith=f"{category.path}/"),
            order__customer__isnull=False,
            order__created_at__gte=now - LAST_YEAR,
        )
        .exclude(order__state__in=_NOT_BOUGHT)
        .values_list("order__customer_id", flat=True)
    )


def never_ordered(*, argument: str, now: datetime) -> Any:
    """Customers with an account who have never placed an order."""
    ordered = Order.objects.filter(customer__isnull=False).values_list("customer_id", flat=True)
    return get_user_model()._default_manager.exclude(pk__in=ordered).values_list("pk", flat=True)


def in_state(*, argument: str, now: datetime) -> Any:
    """Customers with a saved address, or a delivery in the last year, in a state or region
    (matched whole, without regard to case: "CA" or "California", as the customer wrote it)."""
    region = " ".join(argument.split())
    if not region or len(region) > MAX_ARGUMENT_LENGTH:
        raise ValueError("Name the state or region, e.g. CA.")
    return (
        get_user_model()
        ._default_manager.filter(
            Q(addresses__region__iexact=region)
            | Q(orders__ship_region__iexact=region, orders__created_at__gte=now - LAST_YEAR)
        )
        .values_list("pk", flat=True)
    )


SEGMENTS = [
    Segment(
        "bought_in_category",
        "Bought in a category in the last year",
        bought_in_category,
        argument="category",
        choices=category_choices,
    ),
    Segment("never_ordered", "Signed up but never ordered", never_ordered),
    Segment("in_state", "Customers in a state or region", in_state, argument="state or region"),
]
