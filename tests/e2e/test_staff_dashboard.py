"""The staff dashboard in a real browser: the charts draw (under the strict CSP, which would
block any inline script or style), pass axe-core, and their numbers open as tables."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bungu.orders.models import Order
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member
from tests.catalog.factories import SKUFactory
from tests.e2e.accessibility import assert_accessible
from tests.e2e.signing_in import sign_in
from tests.orders.factories import place_test_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_owner_sees_every_chart_drawn_and_readable(page, live_server, screenshot) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory()
    for age in (0, 0, 1, 3, 3, 3, 8, 12, 20, 29):
        sku = SKUFactory(price=Decimal("10.00"), stock=5)
        order = place_test_order(customer=customer, sku=sku)
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=age))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    sign_in(page.context, staff_member("Owner"), live_server.url)

    page.goto("/backoffice/dashboard/")
    sales = page.get_by_role("img", name="Sales per day, last 30 days")
    expect(sales).to_be_visible()
    expect(sales.locator("rect.chart-bar")).to_have_count(30)
    expect(page.get_by_role("img", name="Orders by state")).to_be_visible()
    expect(page.get_by_role("img", name="Top 8 products by units sold")).to_be_visible()
    expect(page.get_by_text("No returns asked for yet.").first).to_be_visible()
    # The bars are coloured by the stylesheet: the CSP let it apply.
    fill = sales.locator("rect.chart-bar").first.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(61, 90, 158)"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert_accessible(page, "the dashboard")
    screenshot(page, "dashboard")

    numbers = page.locator("#chart-sales details")
    numbers.get_by_text("The numbers").click()
    expect(numbers.get_by_role("table")).to_be_visible()
    expect(numbers.get_by_role("row")).to_have_count(31)
