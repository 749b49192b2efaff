"""Returns: asked by the customer on their order page within the period, approved, received
(units back on hand) and refunded by staff; an e-mail at each step; bad requests refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bungu.mail.models import OutboxMessage
from bungu.orders import fulfilment, refunds, returns
from bungu.orders.models import Order, ReturnRequest, ReturnState, Shipment
from bungu.orders.states import LineState, OrderState, PaymentState
from tests.accounts.factories import CustomerFactory

from .factories import place_test_order

pytestmark = pytest.mark.django_db


def shipped_order(gateway) -> Order:
    order = place_test_order(customer=CustomerFactory(), gateway=gateway)
    fulfilment.ship_lines(
        order=order,
        line_ids=[order.lines.get().pk],
        carrier="dhl",
        tracking_number="JD0000001",
        actor="staff #1",
    )
    order.refresh_from_db()
    return order


def state_of(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        order.state,
        order.refunded,
        list(order.returns.values_list("state", flat=True)),
        order.events.count(),
    )


def test_the_whole_return_told_at_each_step(client, gateway, django_capture_on_commit_callbacks):
    order = shipped_order(gateway)
    line = order.lines.get()
    client.force_login(order.customer)

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("orders:request_return", args=[order.number]),
            {f"qty-{line.pk}": "2", "reason": "Wrong colour"},
            follow=True,
        ).content.decode()
    request = ReturnRequest.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        returns.approve_return(order=order, return_id=request.pk, actor="staff #2")
        returns.receive_return(order=order, return_id=request.pk, actor="staff #2")
        made = returns.refund_return(
            order=order,
            return_id=request.pk,
            idempotency_key="ret-1",
            seen=refunds.seen_state(Order.objects.get(pk=order.pk)),
            actor="staff #2",
        )

    order.refresh_from_db()
    line.refresh_from_db()
    line.sku.refresh_from_db()
    assert "Your return request is in" in page
    assert made.refund.amount == Decimal("20.00")
    assert (order.state, order.payment_state) == (OrderState.RETURNED, PaymentState.PARTLY_REFUNDED)
    assert line.state == LineState.RETURNED
    assert line.sku.stock == 5  # 5 on hand, 2 shipped, 2 back
    kinds = [m.kind for m in OutboxMessage.objects.order_by("id")]
    # Requested, approved, received; then the refund's own e-mail.
    assert kinds == [returns.RETURN_MAIL] * 3 + [refunds.REFUNDED_MAIL]
    assert [e.kind for e in order.events.all()][-4:] == [
        "return_requested",
        "return_approved",
        "return_received",
        "refunded",
    ]


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({}, "Choose at least one item"),
        ({"other": 1}, "not in order"),
        ({"line": 3}, "at most 2"),
        ({"line": -1}, "cannot be negative"),
    ],
)
def test_bad_return_requests_are_refused_and_change_nothing(gateway, quantities, message):
    order = shipped_order(gateway)
    other = place_test_order(gateway=gateway)
    ids = {"line": order.lines.get().pk, "other": other.lines.get().pk}
    before = state_of(order)

    with pytest.raises(returns.ReturnRefused, match=message):
        returns.request_return(
            order=order,
            quantities={ids[key]: units for key, units in quantities.items()},
            reason="",
            actor="customer",
        )

    assert state_of(order) == before


def test_asking_twice_or_too_late_or_before_shipping_is_refused(gateway, settings):
    order = shipped_order(gateway)
    line = order.lines.get()
    returns.request_return(order=order, quantities={line.pk: 2}, reason="", actor="customer")
    before = state_of(order)
    with pytest.raises(returns.ReturnRefused, match="already asked to return every"):
        returns.request_return(order=order, quantities={line.pk: 1}, reason="", actor="customer")
    assert state_of(order) == before

    late = shipped_order(gateway)
    Shipment.objects.filter(order=late).update(
        shipped_at=timezone.now() - timedelta(days=settings.BUNGU_RETURN_DAYS + 1)
    )
    with pytest.raises(returns.ReturnRefused, match="the return period is over"):
        returns.request_return(
            order=late, quantities={late.lines.get().pk: 1}, reason="", actor="customer"
        )

    unshipped = place_test_order(gateway=gateway)
    with pytest.raises(returns.ReturnRefused, match="has not shipped"):
        returns.request_return(
            order=unshipped, quantities={unshipped.lines.get().pk: 1}, reason="", actor="customer"
        )
    assert not ReturnRequest.objects.filter(order__in=[late, unshipped]).exists()


def test_steps_out_of_order_are_refused(gateway):
    order = shipped_order(gateway)
    request = returns.request_return(
        order=order, quantities={order.lines.get().pk: 1}, reason="", actor="customer"
    )
    before = state_of(order)

    with pytest.raises(returns.ReturnRefused, match="requested, so it cannot be received"):
        returns.receive_return(order=order, return_id=request.pk, actor="staff #2")
    with pytest.raises(returns.ReturnRefused, match="Say why"):
        returns.reject_return(order=order, return_id=request.pk, actor="staff #2", reason=" ")

    assert state_of(order) == before
    assert ReturnRequest.objects.get().state == ReturnState.REQUESTED


def test_another_customer_cannot_ask_for_a_return(client, gateway):
    order = shipped_order(gateway)
    client.force_login(CustomerFactory())

    response = client.post(
        reverse("orders:request_return", args=[order.number]), {f"qty-{order.lines.get().pk}": "1"}
    )

    assert response.status_code == 404
    assert not ReturnRequest.objects.exists()


def test_the_order_page_offers_the_return_form_only_for_shipped_lines(client, gateway):
    order = shipped_order(gateway)
    unshipped = place_test_order(customer=order.customer, gateway=gateway)
    client.force_login(order.customer)

    shipped_page = client.get(order.get_absolute_url()).content.decode()
    unshipped_page = client.get(unshipped.get_absolute_url()).content.decode()

    assert "Ask for a return" in shipped_page
    assert "Ask for a return" not in unshipped_page


def test_a_non_number_quantity_is_a_clear_message(client, gateway):
    order = shipped_order(gateway)
    client.force_login(order.customer)

    page = client.post(
        reverse("orders:request_return", args=[order.number]),
        {f"qty-{order.lines.get().pk}": "two"},
        follow=True,
    ).content.decode()

    assert "Quantities are whole numbers." in page
    assert not ReturnRequest.objects.exists()
