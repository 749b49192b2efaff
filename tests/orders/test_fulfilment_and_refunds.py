"""The three states and their transitions: ship (capture), pick, deliver, refund, cancel.
Each refused move changes nothing, at the shop or at the processor."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bungu.mail.models import OutboxMessage
from bungu.orders import fulfilment, refunds, returns, services
from bungu.orders.models import Order, OrderEvent, OrderLine
from bungu.orders.states import (
    TRANSITIONS,
    LineState,
    Machine,
    OrderState,
    PaymentState,
    TransitionRefused,
    allowed,
)
from tests.catalog.factories import SKUFactory

from .factories import place_test_order

pytestmark = pytest.mark.django_db


def two_line_order(gateway) -> Order:
    """An order of 2 gel pens (10.00 each) and 1 notebook (6.00), shipping 5.00, tax 2.60."""
    order = place_test_order(gateway=gateway)
    notebook = SKUFactory(price=Decimal("6.00"), stock=3, allocated=1)
    OrderLine.objects.create(
        order=order,
        sku=notebook,
        sku_code=notebook.code,
        name="Notebook",
        unit_price=Decimal("6.00"),
        quantity=1,
        line_total=Decimal("6.00"),
    )
    Order.objects.filter(pk=order.pk).update(
        subtotal=Decimal("26.00"), tax=Decimal("2.60"), total=Decimal("33.60")
    )
    order.refresh_from_db()
    return order


def snapshot(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        order.state,
        order.payment_state,
        order.captured,
        order.refunded,
        sorted(order.lines.values_list("state", flat=True)),
        order.events.count(),
        order.shipments.count(),
        order.refunds.count(),
    )


def ship(order: Order, lines: list[OrderLine], **kwargs):
    return fulfilment.ship_lines(
        order=order,
        line_ids=[line.pk for line in lines],
        carrier=kwargs.pop("carrier", "ups"),
        tracking_number=kwargs.pop("tracking_number", "1Z999AA10123456784"),
        actor="staff #1",
        **kwargs,
    )


def test_every_transition_names_an_existing_service():
    modules = {
        "fulfilment": fulfilment,
        "refunds": refunds,
        "services": services,
        "returns": returns,
    }
    for row in TRANSITIONS:
        module, name = row.service.split(".")
        assert callable(getattr(modules[module], name)), row
    assert allowed(Machine.ORDER, OrderState.PLACED, OrderState.CANCELLED)
    assert not allowed(Machine.ORDER, OrderState.SHIPPED, OrderState.CANCELLED)


def test_shipping_everything_captures_the_total_consumes_stock_and_emails_tracking(
    gateway, django_capture_on_commit_callbacks
):
    order = place_test_order(gateway=gateway)
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        shipment = ship(order, [line])

    order.refresh_from_db()
    line.refresh_from_db()
    line.sku.refresh_from_db()
    assert (order.state, order.payment_state, order.captured) == (
        OrderState.SHIPPED,
        PaymentState.CAPTURED,
        Decimal("25.00"),
    )
    assert gateway.payments[order.payment_id].captured == 2500
    assert (line.state, line.shipment_id) == (LineState.SHIPPED, shipment.pk)
    assert (line.sku.stock, line.sku.allocated) == (3, 0)
    assert [e.kind for e in order.events.all()] == ["placed", "shipped", "captured"]
    message = OutboxMessage.objects.get(kind=fulfilment.SHIPPED_MAIL)
    assert message.to_address == "hana@example.com"
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in message.text_body


def test_a_partial_shipment_with_the_rest_released_captures_only_what_shipped(gateway):
    order = two_line_order(gateway)
    pens, notebook = order.lines.all()

    ship(order, [pens], release_rest=True)

    order.refresh_from_db()
    notebook.refresh_from_db()
    notebook.sku.refresh_from_db()
    # 20.00 of pens, their tax share 2.00, shipping 5.00; the notebook's 6.60 is released.
    assert order.captured == Decimal("27.00")
    assert gateway.payments[order.payment_id].captured == 2700
    assert (order.state, notebook.state) == (OrderState.SHIPPED, LineState.CANCELLED)
    assert notebook.sku.allocated == 0
    assert "6.60 released" in order.events.get(kind="captured").detail


def test_a_partial_shipment_with_more_to_follow_captures_once_then_ships_the_rest(gateway):
    order = two_line_order(gateway)
    pens, notebook = order.lines.all()

    ship(order, [pens])
    order.refresh_from_db()
    assert (order.state, order.captured) == (OrderState.PARTLY_SHIPPED, Decimal("33.60"))
    second = ship(order, [notebook], carrier="usps", tracking_number="9400100000000000000000")

    order.refresh_from_db()
    assert order.state == OrderState.SHIPPED
    assert second.captured == 0
    assert [name for name, _ in gateway.calls].count("capture") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"carrier": "pigeon"}, "Choose a carrier"),
        ({"tracking_number": "x"}, "tracking number"),
        ({"lines": "foreign"}, "not in order"),
        ({"lines": "none"}, "at least one line"),
    ],
)
def test_bad_shipments_are_refused_and_change_nothing(gateway, change, message):
    order = place_test_order(gateway=gateway)
    other = place_test_order(gateway=gateway)
    lines = {"foreign": list(other.lines.all()), "none": []}.get(
        change.pop("lines", ""), list(order.lines.all())
    )
    before = snapshot(order)

    with pytest.raises(fulfilment.ShipmentRefused, match=message):
        ship(order, lines, **change)

    assert snapshot(order) == before
    assert gateway.payments[order.payment_id].captured == 0


def test_shipping_a_shipped_line_again_is_refused(gateway):
    order = place_test_order(gateway=gateway)
    line = order.lines.get()
    ship(order, [line])
    before = snapshot(order)

    with pytest.raises(TransitionRefused, match="shipped"):
        ship(order, [line])

    assert snapshot(order) == before


def test_a_processor_timeout_on_capture_ships_nothing(gateway):
    order = place_test_order(gateway=gateway)
    before = snapshot(order)
    gateway.down = True

    with pytest.raises(fulfilment.ShipmentRefused, match="did not answer"):
        ship(order, list(order.lines.all()))

    assert snapshot(order) == before
    sku = order.lines.get().sku
    sku.refresh_from_db()
    assert sku.stock == 5


def test_pick_then_deliver_and_refused_moves(gateway):
    order = place_test_order(gateway=gateway)
    line = order.lines.get()
    with pytest.raises(TransitionRefused):
        fulfilment.mark_delivered(order=order, actor="staff #1")

    fulfilment.pick_lines(order=order, line_ids=[line.pk], actor="staff #1")
    order.refresh_from_db()
    assert order.state == OrderState.IN_FULFILMENT
    before = snapshot(order)
    with pytest.raises(TransitionRefused):
        fulfilment.pick_lines(order=order, line_ids=[line.pk], actor="staff #1")
    assert snapshot(order) == before
    ship(order, [line])
    fulfilment.mark_delivered(order=order, actor="staff #1")
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED
    assert [e.kind for e in order.events.all()][-1] == "delivered"


def test_a_shipped_order_cannot_be_cancelled(gateway):
    order = place_test_order(gateway=gateway)
    ship(order, list(order.lines.all()))
    before = snapshot(order)

    with pytest.raises(services.OrderNotCancellable):
        services.cancel_order(order=order, actor="staff #1")

    assert snapshot(order) == before


def test_cancelling_voids_and_sets_the_money_state(gateway):
    order = place_test_order(gateway=gateway)

    services.cancel_order(order=order, actor="staff #1", reason="Customer asked by phone.")

    order.refresh_from_db()
    assert (order.state, order.payment_state) == (OrderState.CANCELLED, PaymentState.VOIDED)
    assert list(order.lines.values_list("state", flat=True)) == [LineState.CANCELLED]
    assert "Customer asked by phone." in order.events.get(kind="cancelled").detail


# ---------------------------------------------------------------- refunds
def shipped_order(gateway) -> Order:
    order = place_test_order(gateway=gateway)
    ship(order, list(order.lines.all()))
    order.refresh_from_db()
    return order


def refund(order: Order, amount: str, *, key: str = "k1", seen=None, reason: str = "Scratched"):
    return refunds.refund_order(
        order=order,
        amount=Decimal(amount),
        reason=reason,
        idempotency_key=key,
        seen=seen or refunds.seen_state(order),
        actor="staff #1",
    )


def test_a_partial_then_a_full_refund(gateway, django_capture_on_commit_callbacks):
    order = shipped_order(gateway)
    with django_capture_on_commit_callbacks(execute=True):
        refund(order, "10.00", key="a")
    order.refresh_from_db()
    assert (order.payment_state, order.refunded) == (PaymentState.PARTLY_REFUNDED, Decimal("10.00"))
    refund(order, "15.00", key="b")
    order.refresh_from_db()
    assert (order.payment_state, order.refunded) == (PaymentState.REFUNDED, Decimal("25.00"))
    assert gateway.payments[order.payment_id].refunded == 2500
    assert "Scratched" in order.events.filter(kind="refunded").first().detail
    assert OutboxMessage.objects.filter(kind=refunds.REFUNDED_MAIL).count() == 1


def test_the_same_refund_form_sent_twice_refunds_once(gateway):
    order = shipped_order(gateway)
    seen = refunds.seen_state(order)

    first = refund(order, "5.00", key="same", seen=seen)
    again = refund(order, "5.00", key="same", seen=seen)

    order.refresh_from_db()
    assert (first.created, again.created, again.refund.pk) == (True, False, first.refund.pk)
    assert order.refunded == Decimal("5.00")
    assert [name for name, _ in gateway.calls].count("refund") == 1


def test_a_stale_refund_form_is_refused_and_changes_nothing(gateway):
    order = shipped_order(gateway)
    stale = refunds.seen_state(order)
    refund(order, "5.00", key="first", seen=stale)
    before = snapshot(order)

    with pytest.raises(refunds.StaleView, match="changed after you opened it"):
        refund(order, "5.00", key="second", seen=stale)

    assert snapshot(order) == before
    assert gateway.payments[order.payment_id].refunded == 500


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("25.01", "Too much", "At most 25.00"),
        ("0.00", "Nothing", "greater than zero"),
        ("1.005", "Fraction", "dollars and cents"),
        ("5.00", "  ", "Give a reason"),
    ],
)
def test_bad_refunds_are_refused(gateway, amount, reason, message):
    order = shipped_order(gateway)
    before = snapshot(order)

    with pytest.raises(refunds.RefundRefused, match=re.escape(message)):
        refund(order, amount, reason=reason)

    assert snapshot(order) == before


def test_nothing_captured_nothing_to_refund(gateway):
    order = place_test_order(gateway=gateway)
    before = snapshot(order)

    with pytest.raises(refunds.RefundRefused, match=r"At most 0\.00"):
        refund(order, "1.00")

    assert snapshot(order) == before


def test_order_events_stay_append_only(gateway):
    order = shipped_order(gateway)
    assert OrderEvent.objects.filter(order=order).count() == 3
