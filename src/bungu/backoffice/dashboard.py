"""The staff dashboard: which charts there are, what each one needs, who may see it.

A chart is the shop's own figures (counts and sums, never a person), yet a figure still
belongs to a job: sales are money, which packers never see (P13: agents get what their
function needs). So each chart names the purposes whose work it serves, and a member sees it
only if they may act for one of them, the same permission the order pages ask:

- sales per day: customer service (the role that sees amounts and refunds them); so customer
  service and the owner;
- orders by state, top products (in units, no money): customer service and fulfilment; so
  both roles and the owner;
- returns by state: customer service (it approves, receives and refunds returns); so customer
  service and the owner;
- privacy requests by state: legal obligation (answering them on the legal clocks); so the
  privacy officer and the owner.

Marketing and fraud see none. Each chart is one aggregate query in the database, run only
for a member who may see it, so the page's query count does not depend on the data.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.template.defaultfilters import pluralize
from django.utils import formats, timezone

from bungu.catalog.money import format_money
from bungu.orders import reports
from bungu.orders.models import ReturnState
from bungu.orders.states import OrderState
from bungu.privacy import Purpose, actor_may_act_for, count_privacy_requests_by_status

from .charts import Chart, Number, bars, columns

SALES_DAYS = 30
TOP_PRODUCTS = 8


def _count(value: Number) -> str:
    return formats.number_format(value, force_grouping=True)


def _money(value: Number) -> str:
    return format_money(Decimal(value))


def _whole_money(value: Number) -> str:
    return format_money(Decimal(value), whole=True)


def sales_chart() -> Chart:
    last = timezone.localdate()
    first = last - datetime.timedelta(days=SALES_DAYS - 1)
    days = reports.sales_per_day(first=first, last=last)
    total = sum((d.amount for d in days), Decimal("0.00"))
    orders = sum(d.orders for d in days)
    best = max(days, key=lambda d: (d.amount, d.day))
    description = (
        f"Sales per day for the last {SALES_DAYS} days, {formats.date_format(first)} to "
        f"{formats.date_format(last)}: {_money(total)} in {orders} order{pluralize(orders)}"
    )
    if orders:
        description += f"; the best day was {formats.date_format(best.day)}, {_money(best.amount)}."
    return columns(
        key="sales",
        title=f"Sales per day, last {SALES_DAYS} days",
        description=description + ("" if orders else "."),
        points=[
            (formats.date_format(d.day), formats.date_format(d.day, "M j"), d.amount) for d in days
        ],
        fmt=_money,
        axis_fmt=_whole_money,
        headings=["Day", "Orders", "Sales"],
        rows=[[formats.date_format(d.day), _count(d.orders), _money(d.amount)] for d in days],
        empty=f"No orders yet in the last {SALES_DAYS} days.",
    )


def _count_bars(
    *, key: str, title: str, items: list[tuple[str, int]], unit: str, heading: str, empty: str
) -> Chart:
    """A bar chart of counts, described in words (its total and each non-zero bar)."""
    total = sum(n for _, n in items)
    parts = ", ".join(f"{label}: {n}" for label, n in items if n)
    description = f"{title}: {total} {unit}{pluralize(total)} in all" + (
        f"; {parts}." if parts else "."
    )
    return bars(
        key=key,
        title=title,
        description=description,
        items=items,
        fmt=_count,
        headings=[heading, f"{unit.capitalize()}s"],
        empty=empty,
    )


def orders_by_state_chart() -> Chart:
    counted = reports.count_orders_by_state()
    return _count_bars(
        key="orders-by-state",
        title="Orders by state",
        items=[(str(state.label), counted.get(state.value, 0)) for state in OrderState],
        unit="order",
        heading="State",
        empty="No orders yet.",
    )


def top_products_chart() -> Chart:
    return _count_bars(
        key="top-products",
        title=f"Top {TOP_PRODUCTS} products by units sold",
        items=reports.top_products(limit=TOP_PRODUCTS),
        unit="unit",
        heading="Product",
        empty="No orders yet, so no products sold.",
    )


def returns_chart() -> Chart:
    counted = reports.count_returns_by_state()
    return _count_bars(
        key="returns",
        title="Returns by state",
        items=[(str(state.label), counted.get(state.value, 0)) for state in ReturnState],
        unit="return",
        heading="State",
        empty="No returns asked for yet.",
    )


def privacy_requests_chart() -> Chart:
    return _count_bars(
        key="privacy-requests",
        title="Privacy requests by state",
        items=[(label.capitalize(), n) for label, n in count_privacy_requests_by_status()],
        unit="request",
        heading="State",
        empty="No privacy requests yet.",
    )


@dataclass(frozen=True)
class ChartSpec:
    key: str
    # A member sees the chart if they may act for any of these (P13).
    purposes: frozenset[Purpose]
    build: Callable[[], Chart]


_SERVICE, _FULFILMENT = Purpose.CUSTOMER_SERVICE, Purpose.FULFILMENT
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("sales", frozenset({_SERVICE}), sales_chart),
    ChartSpec("orders-by-state", frozenset({_SERVICE, _FULFILMENT}), orders_by_state_chart),
    ChartSpec("top-products", frozenset({_SERVICE, _FULFILMENT}), top_products_chart),
    ChartSpec("returns", frozenset({_SERVICE}), returns_chart),
    ChartSpec("privacy-requests", frozenset({Purpose.LEGAL_OBLIGATION}), privacy_requests_chart),
)


def charts_for(member: AbstractBaseUser) -> list[Chart]:
    """The charts the member's purposes cover, each built with its one query."""
    return [
        spec.build()
        for spec in CHARTS
        if any(actor_may_act_for(member, purpose) for purpose in sorted(spec.purposes))
    ]
