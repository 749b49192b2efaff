"""Counts and sums over all orders for the staff dashboard: the shop's own figures, no person.

Each function is one aggregate query, counted by the database, so its cost does not grow
with the rows Python sees (a month's sales is at most 31 rows, whatever the orders).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from .models import Order, OrderLine, ReturnRequest
from .states import LineState, OrderState


@dataclass(frozen=True)
class DaySales:
    day: datetime.date
    orders: int
    amount: Decimal


def sales_per_day(*, first: datetime.date, last: datetime.date) -> list[DaySales]:
    """Orders placed (cancelled ones left out) and what they came to, per day of the shop's
    time zone from ``first`` to ``last`` inclusive; a day without orders is a zero."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, zone)
    rows = (
        Order.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(state=OrderState.CANCELLED)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(orders=Count("id"), amount=Sum("total"))
        .order_by()
        .values_list("day", "orders", "amount")
    )
    found = {day: (orders, amount) for day, orders, amount in rows}
    days = (first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return [DaySales(day, *found.get(day, (0, Decimal("0.00")))) for day in days]


def count_orders_by_state() -> dict[str, int]:
    """State -> how many orders are in it (states with none left out)."""
    rows = Order.objects.values("state").annotate(n=Count("id")).order_by()
    return dict(rows.values_list("state", "n"))


def top_products(*, limit: int = 8) -> list[tuple[str, int]]:
    """The products sold in the most units (lines that will not ship left out), most first.
    A line whose SKU was since deleted counts under the name it was sold as."""
    rows = (
        OrderLine.objects.exclude(state=LineState.CANCELLED)
        .annotate(product=Coalesce("sku__product__name", "name"))
        .values("product")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "product")
        .values_list("product", "units")
    )
    return [(str(name), int(units)) for name, units in rows[:limit]]


def count_returns_by_state() -> dict[str, int]:
    """Return-request state -> how many requests are in it (states with none left out)."""
    rows = ReturnRequest.objects.values("state").annotate(n=Count("id")).order_by()
    return dict(rows.values_list("state", "n"))
