"""Orders in the customer's account and by the guest link; cancel; the data map."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from bungu import privacy
from bungu.orders import services
from bungu.orders.models import Order, OrderEvent, OrderState
from bungu.privacy import AppendOnlyViolation
from tests.accounts.factories import CustomerFactory

from .factories import place_test_order

pytestmark = pytest.mark.django_db


def test_place_order_is_idempotent_per_attempt(gateway):
    order = place_test_order(gateway=gateway)
    payment = gateway.payments[order.payment_id]

    again = services.place_order(
        attempt_id=order.attempt_id,
        customer_id=None,
        email="x@example.com",
        address=services.ShippingAddress(
            recipient="X", line1="Y", city="Z", postal_code="1", country="US"
        ),
        shipping_method="standard",
        shipping_method_name="Standard",
        shipping_cost=order.shipping_cost,
        tax=order.tax,
        lines=[],
        payment=payment,
        actor="x",
    )

    assert (again.order.pk, again.created) == (order.pk, False)
    assert Order.objects.count() == 1
    assert [e.kind for e in order.events.all()] == [OrderEvent.Kind.PLACED]


def test_a_customer_sees_their_orders_and_another_customer_gets_404(client, gateway):
    owner, other = CustomerFactory(), CustomerFactory()
    order = place_test_order(customer=owner, gateway=gateway)

    client.force_login(owner)
    listing = client.get(reverse("orders:list")).content.decode()
    detail = client.get(order.get_absolute_url()).content.decode()
    client.force_login(other)

    assert order.number in listing
    assert "Visa ending in 4242" in detail
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.post(reverse("orders:cancel", args=[order.number])).status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.PLACED


def test_cancelling_before_shipment_voids_the_authorisation_and_releases_the_stock(client, gateway):
    owner = CustomerFactory()
    order = place_test_order(customer=owner, gateway=gateway)
    sku = order.lines.get().sku
    client.force_login(owner)

    client.post(reverse("orders:cancel", args=[order.number]))

    order.refresh_from_db()
    sku.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert gateway.payments[order.payment_id].state == "voided"
    assert sku.allocated == 0
    assert [e.kind for e in order.events.all()] == ["placed", "cancelled"]


def test_a_processor_timeout_leaves_the_order_as_it_was(client, gateway):
    owner = CustomerFactory()
    order = place_test_order(customer=owner, gateway=gateway)
    gateway.down = True
    client.force_login(owner)

    response = client.post(reverse("orders:cancel", args=[order.number]), follow=True)

    assert "did not answer" in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.PLACED
    assert order.lines.get().sku.allocated == 2


def test_a_guest_reaches_their_order_by_the_signed_link_only(client, gateway):
    order = place_test_order(gateway=gateway)
    token = services.guest_link_token(order)

    page = client.get(reverse("orders:guest", args=[token]))
    forged = client.get(reverse("orders:guest", args=[token[:-2] + "xx"]))

    assert order.number in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert forged.status_code == 404
    client.post(reverse("orders:guest_cancel", args=[token]))
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


def test_order_events_are_append_only(gateway):
    event = place_test_order(gateway=gateway).events.get()

    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        event.delete()


def test_p19_orders_appear_in_my_data_and_its_json_download(client, gateway):
    owner = CustomerFactory()
    order = place_test_order(customer=owner, gateway=gateway)
    client.force_login(owner)

    page = client.get(reverse("privacy:my_data")).content.decode()
    download = client.get(reverse("privacy:my_data_download"))

    assert order.number in page
    text = download.content.decode()
    assert order.number in text
    assert "1 Market Street" in text
    assert "4242" in text
    json.loads(text)


def test_p22_erasure_anonymises_an_order_and_keeps_the_tax_record(gateway):
    owner = CustomerFactory()
    order = place_test_order(customer=owner, gateway=gateway)

    privacy.erase_subject(subject=owner.pk, actor="test")

    order.refresh_from_db()
    assert order.email.endswith("@erased.invalid")
    assert (order.ship_recipient, order.ship_line1) == ("[erased]", "[erased]")
    assert (order.card_last4, order.payment_token, order.card_exp_year) == ("", "", None)
    assert (order.total, order.ship_region, order.payment_id) == (
        order.subtotal + order.shipping_cost + order.tax,
        "CA",
        order.payment_id,
    )
    assert order.lines.count() == 1
