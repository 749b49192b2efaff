"""The order paths that change stock record a SKU's return to stock (``SKU.restocked_at``)
through the catalogue's services: a cancelled order gives back the last units, a return
received puts a sold-out SKU on hand again; shipping consumes units and brings none back."""

from __future__ import annotations

import pytest

from bungu.orders import fulfilment, returns, services as order_services
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import SKUFactory
from tests.catalog.restock_ledger import restocks_in_step

from .factories import place_test_order

pytestmark = pytest.mark.django_db


def test_cancelling_an_order_of_the_last_units_brings_them_back(gateway) -> None:
    sku = SKUFactory(stock=2)
    order = place_test_order(customer=CustomerFactory(), sku=sku, gateway=gateway)
    with restocks_in_step() as seen:
        order_services.cancel_order(order=order, actor="test")
    assert seen["restocked"] == {sku.pk}


def test_shipping_brings_nothing_back_and_a_received_return_does(gateway) -> None:
    sku = SKUFactory(stock=2)
    order = place_test_order(customer=CustomerFactory(), sku=sku, gateway=gateway)
    line = order.lines.get()
    with restocks_in_step() as seen:
        fulfilment.ship_lines(
            order=order, line_ids=[line.pk], carrier="dhl", tracking_number="JD0000001", actor="t"
        )
    assert seen["restocked"] == set()
    request = returns.request_return(
        order=order, quantities={line.pk: 1}, reason="Wrong colour", actor="customer"
    )
    returns.approve_return(order=order, return_id=request.pk, actor="staff")
    with restocks_in_step() as seen:
        returns.receive_return(order=order, return_id=request.pk, actor="staff")
    assert seen["restocked"] == {sku.pk}
