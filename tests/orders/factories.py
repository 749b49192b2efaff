"""An order placed through the orders service, as checkout places one."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.utils import timezone

from bungu.catalog import services as catalog_services
from bungu.orders import services
from bungu.orders.models import Order
from bungu.payments import CardSummary, Payment, PaymentState
from tests.catalog.factories import SKUFactory

ADDRESS = services.ShippingAddress(
    recipient="Hana Sato",
    line1="1 Market Street",
    city="San Francisco",
    region="CA",
    postal_code="94105",
    country="US",
)


def place_test_order(
    *,
    customer: Any = None,
    email: str = "hana@example.com",
    gateway: Any = None,
    address: services.ShippingAddress = ADDRESS,
    sku: Any = None,
) -> Order:
    """An order of two pens (of ``sku`` if given), its stock allocated; with ``gateway``, its
    payment authorised there."""
    sku = sku or SKUFactory(price=Decimal("10.00"), stock=5)
    catalog_services.hold_stock(lines={sku.pk: 2})
    attempt_id = secrets.token_hex(16)
    payment = Payment(
        id="pay_" + secrets.token_hex(6),
        reference=attempt_id,
        state=PaymentState.AUTHORISED,
        amount=2500,
        currency="USD",
        checkout_url="",
        created_at=timezone.now(),
        card=CardSummary(brand="Visa", last4="4242", exp_month=1, exp_year=2031),
        token="tok_x",
    )
    if gateway is not None:
        gateway.payments[payment.id] = payment
        gateway.by_reference[attempt_id] = payment.id
    return services.place_order(
        attempt_id=attempt_id,
        customer_id=customer.pk if customer else None,
        email=email,
        address=address,
        shipping_method="standard",
        shipping_method_name="Standard",
        shipping_cost=Decimal("5.00"),
        tax=Decimal("0.00"),
        lines=[
            services.LineIn(
                sku_id=sku.pk,
                sku_code=sku.code,
                name="Gel pen",
                unit_price=Decimal("10.00"),
                quantity=2,
            )
        ],
        payment=payment,
        actor="test",
    ).order


def place_paid_order(
    *,
    processor: Any,
    gateway: Any,
    items: list[tuple[Any, int]],
    customer: Any = None,
    email: str = "hana@example.com",
    address: services.ShippingAddress = ADDRESS,
    shipping_cost: Decimal = Decimal("5.00"),
) -> Order:
    """An order of ``items`` ((SKU, units), each SKU's own price) whose payment the real
    sandbox processor authorised: the card is paid on the processor's page as a customer
    would, so captures and refunds go to that process (``card_processor``,
    ``sandbox_gateway``)."""
    catalog_services.hold_stock(lines={sku.pk: units for sku, units in items})
    subtotal = sum((sku.price * units for sku, units in items), Decimal("0.00"))
    attempt_id = secrets.token_hex(16)
    created = processor.create(amount=int((subtotal + shipping_cost) * 100), reference=attempt_id)
    assert processor.pay(created["id"]).status_code == 303
    payment = gateway.get_payment(created["id"])
    return services.place_order(
        attempt_id=attempt_id,
        customer_id=customer.pk if customer else None,
        email=email,
        address=address,
        shipping_method="standard",
        shipping_method_name="Standard",
        shipping_cost=shipping_cost,
        tax=Decimal("0.00"),
        lines=[
            services.LineIn(
                sku_id=sku.pk,
                sku_code=sku.code,
                name=sku.product.name,
                unit_price=sku.price,
                quantity=units,
            )
            for sku, units in items
        ],
        payment=payment,
        actor="test",
    ).order
