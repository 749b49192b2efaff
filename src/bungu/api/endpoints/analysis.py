"""An analysis agent: aggregates only, never a row about one person (P13).

Counts of orders per day and state; a cell counting fewer than ``MIN_CELL`` orders is
suppressed (its count is null), so no answer singles out a customer. No customer's data is
handed over, so no customer's access log is written.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from bungu.api.gate import AgentTokenAuth, require
from bungu.orders.models import Order

FUNCTION = "analysis"
# The smallest count shown; smaller cells are suppressed.
MIN_CELL = 5

router = Router(tags=["analysis"], auth=AgentTokenAuth(FUNCTION))


class Window(Schema):
    days: int = Field(30, ge=1, le=366)


class CellOut(Schema):
    day: date
    state: str
    count: int | None
    suppressed: bool


class OrdersPerDayOut(Schema):
    days: int
    min_cell: int
    cells: list[CellOut]


class Problem(Schema):
    detail: str


@router.get(
    "/orders-per-day",
    response={200: OrdersPerDayOut, 400: Problem, 401: Problem, 403: Problem},
)
def orders_per_day(request: HttpRequest, window: Query[Window]) -> dict[str, Any]:
    """Orders placed per day (the shop's time zone) and their state now, small cells
    suppressed."""
    require(request, FUNCTION)
    zone = timezone.get_current_timezone()
    since = timezone.now() - timedelta(days=window.days)
    rows = (
        Order.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "state")
        .annotate(count=Count("id"))
        .order_by("day", "state")
    )
    cells = [
        {
            "day": row["day"],
            "state": row["state"],
            "count": row["count"] if row["count"] >= MIN_CELL else None,
            "suppressed": row["count"] < MIN_CELL,
        }
        for row in rows
    ]
    return {"days": window.days, "min_cell": MIN_CELL, "cells": cells}
