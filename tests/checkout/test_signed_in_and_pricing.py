"""Signed-in checkout with a saved address, shipping and tax tables (supervised accounts:
test_guardian_approval.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from bungu.checkout.models import CheckoutAttempt, ShippingMethod, ShippingRate, TaxRate
from bungu.checkout.pricing import StateRateTable
from bungu.orders.models import Order
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.catalog.factories import SKUFactory

from .helpers import add, back_from_processor, place, to_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]


def test_a_customer_checks_out_with_a_saved_address_and_finds_the_order_in_the_account(
    client, gateway
):
    address = AddressFactory(line1="9 Saved Road", region="NY")
    client.force_login(address.customer)
    add(client, SKUFactory(price=Decimal("30.00"), stock=3), 2)

    form = to_review(client, details={"saved_address": address.pk}, method="express")
    place(client, form)
    gateway.authorise(gateway.payment_for(form["attempt"]).id)
    response = back_from_processor(client, form["attempt"])

    assert response["Location"] == reverse("checkout:done", args=[form["attempt"]])
    order = Order.objects.get()
    assert (order.customer_id, order.email, order.ship_line1) == (
        address.customer.pk,
        address.customer.email,
        "9 Saved Road",
    )
    # Express, a light parcel: $12.00; New York taxes shipping at 4 %.
    assert (order.shipping_cost, order.tax, order.total) == (
        Decimal("12.00"),
        Decimal("2.88"),
        Decimal("74.88"),
    )
    assert order.number in client.get(reverse("orders:list")).content.decode()


def test_a_saved_address_of_someone_else_is_refused(client, gateway):
    customer = CustomerFactory()
    client.force_login(customer)
    add(client, SKUFactory())

    response = client.post(reverse("checkout:address"), {"saved_address": AddressFactory().pk})

    assert response.status_code == 200
    assert CheckoutAttempt.objects.count() == 0


def test_shipping_methods_flat_free_above_and_weight_bands():
    flat = ShippingMethod(
        code="flat", name="Flat", speed="standard", kind="flat", price=Decimal("4")
    )
    assert flat.cost(subtotal=Decimal("500"), weight_grams=9000) == Decimal("4")
    standard = ShippingMethod.objects.get(code="standard")
    assert standard.cost(subtotal=Decimal("49.99"), weight_grams=0) == Decimal("5.00")
    assert standard.cost(subtotal=Decimal("50.00"), weight_grams=0) == Decimal("0.00")
    express = ShippingMethod.objects.get(code="express")
    assert [express.cost(subtotal=Decimal(1), weight_grams=w) for w in (500, 501, 2001)] == [
        Decimal("12.00"),
        Decimal("18.00"),
        Decimal("28.00"),
    ]
    ShippingRate.objects.filter(method=express, up_to_grams=None).delete()
    assert express.cost(subtotal=Decimal(1), weight_grams=2001) is None


def test_sales_tax_by_state_rounds_half_up_and_only_in_the_united_states():
    table = StateRateTable()
    TaxRate.objects.update_or_create(
        region="CA", defaults={"name": "California", "rate": Decimal("0.0725")}
    )

    assert table.tax_for(
        country="US", region="ca", subtotal=Decimal("10.10"), shipping=Decimal(5)
    ) == Decimal("0.73")
    assert table.tax_for(
        country="US", region="OR", subtotal=Decimal("100"), shipping=Decimal(0)
    ) == Decimal("0.00")
    assert table.tax_for(
        country="JP", region="CA", subtotal=Decimal("100"), shipping=Decimal(0)
    ) == Decimal("0.00")
