"""The back office in a real browser, with the real sandbox processor and a real SMTP server
on loopback: staff ship part of an order (capturing only that part) and refund part of it; a
customer asks for a return that staff approve, receive and refund, told by e-mail at each
step; a packer prints a packing slip and marks it shipped, and the customer's e-mail carries
the tracking link."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bungu.orders import fulfilment
from bungu.orders.models import Order
from bungu.privacy import Purpose
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member
from tests.catalog.factories import SKUFactory
from tests.e2e.accessibility import assert_accessible
from tests.e2e.mailbox import mail_about
from tests.e2e.signing_in import sign_in
from tests.orders.factories import place_paid_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(live_server, card_processor, sandbox_gateway, smtp_server):  # type: ignore[no-untyped-def]
    return live_server, card_processor, sandbox_gateway, smtp_server


def test_staff_capture_a_partial_shipment_and_refund_part_of_the_order(  # type: ignore[no-untyped-def]
    page, shop, screenshot
) -> None:
    live_server, processor, gateway, smtp_server = shop
    pen = SKUFactory(price=Decimal("10.00"), stock=5)
    notebook = SKUFactory(price=Decimal("15.00"), stock=5)
    order = place_paid_order(processor=processor, gateway=gateway, items=[(pen, 1), (notebook, 2)])
    assert processor.get(order.payment_id)["state"] == "authorised"
    sign_in(page.context, staff_member("Owner"), live_server.url)

    # The notebooks are out: the pen leaves alone and nothing else will ship.
    page.goto("/backoffice/fulfilment/")
    page.get_by_role("link", name=order.number).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Packing slip: order {order.number}")
    page.get_by_label(f"2 x {notebook.code}").uncheck()
    page.get_by_label("Carrier").select_option("ups")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_label("Nothing else of this order will ship").check()
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_text(f"Order {order.number}: marked shipped")).to_be_visible()

    order.refresh_from_db()
    # Only the pen and its share of the shipping were captured; the rest was released.
    assert Decimal("0") < order.captured < order.total
    at_processor = processor.get(order.payment_id)
    assert at_processor["captured"] == int(order.captured * 100)
    assert at_processor["refunded"] == 0

    page.goto(f"/backoffice/orders/{order.number}/")
    expect(page.locator(".order-state")).to_have_text("Shipped")
    expect(page.locator(".payment-state")).to_contain_text("Captured")
    page.get_by_label("Amount").fill("4.00")
    page.get_by_label("Reason").first.fill("Scratched clip")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_text("Refunded 4.00 USD.")).to_be_visible()
    expect(page.locator(".payment-state")).to_contain_text("Partly refunded")
    screenshot(page, "partly-refunded")

    order.refresh_from_db()
    assert order.refunded == Decimal("4.00")
    assert processor.get(order.payment_id)["refunded"] == 400
    assert mail_about(smtp_server, "has shipped").rcpt_tos == [order.email]


def test_a_customer_asks_for_a_return_and_staff_approve_receive_and_refund_it(  # type: ignore[no-untyped-def]
    page, browser, shop, screenshot
) -> None:
    live_server, processor, gateway, smtp_server = shop
    customer = CustomerFactory(email="ren@example.com")
    pen = SKUFactory(price=Decimal("12.00"), stock=5)
    order = place_paid_order(
        processor=processor,
        gateway=gateway,
        items=[(pen, 2)],
        customer=customer,
        email=customer.email,
    )
    fulfilment.ship_lines(
        order=order,
        line_ids=[order.lines.get().pk],
        carrier="usps",
        tracking_number="9400111899223197428490",
        actor="staff #1",
    )
    sign_in(page.context, customer, live_server.url)

    page.goto(f"/orders/{order.number}/")
    form = page.locator("form.order-return")
    form.get_by_role("spinbutton").fill("1")
    form.get_by_label("Why (optional)").fill("The nib is too broad")
    form.get_by_role("button", name="Ask for a return").click()
    expect(page.get_by_text("Your return request is in.")).to_be_visible()
    requested = mail_about(smtp_server, "return requested")
    assert requested.rcpt_tos == [customer.email]
    screenshot(page, "1-return-asked")

    staff = browser.new_context(base_url=live_server.url)
    try:
        sign_in(staff, staff_member("Customer service"), live_server.url)
        desk = staff.new_page()
        desk.goto(f"/backoffice/orders/{order.number}/")
        returns = desk.get_by_role("region", name="Returns")
        expect(returns).to_contain_text("Requested")
        expect(returns).to_contain_text("The nib is too broad")
        returns.get_by_role("button", name="Approve").click()
        expect(desk.get_by_role("region", name="Returns")).to_contain_text("Approved")
        assert mail_about(smtp_server, "return approved").rcpt_tos == [customer.email]

        desk.get_by_role("button", name="Received: put back on hand").click()
        expect(desk.get_by_role("region", name="Returns")).to_contain_text("Received")
        assert mail_about(smtp_server, "return received").rcpt_tos == [customer.email]

        desk.get_by_role("button", name="Refund the returned items").click()
        expect(desk.get_by_role("region", name="Returns")).to_contain_text("Refunded")
        expect(desk.locator(".payment-state")).to_contain_text("Partly refunded")
        screenshot(desk, "2-return-refunded")
    finally:
        staff.close()

    order.refresh_from_db()
    assert order.refunded == Decimal("12.00")
    assert processor.get(order.payment_id)["refunded"] == 1200
    refunded = mail_about(smtp_server, "refund")
    assert refunded.rcpt_tos == [customer.email]
    page.goto(f"/orders/{order.number}/")
    expect(page.get_by_role("region", name="Returns")).to_contain_text("Refunded")


def test_a_packer_prints_the_slip_and_ships_and_the_mail_has_the_tracking_link(  # type: ignore[no-untyped-def]
    page, shop, screenshot
) -> None:
    live_server, processor, gateway, smtp_server = shop
    customer = CustomerFactory(email="mika@example.com")
    pen = SKUFactory(price=Decimal("9.00"), stock=5)
    order = place_paid_order(
        processor=processor,
        gateway=gateway,
        items=[(pen, 3)],
        customer=customer,
        email=customer.email,
    )
    Order.objects.filter(pk=order.pk).update(gift_note="Happy birthday, Aoi!")
    packer = staff_member("Fulfilment")
    sign_in(page.context, packer, live_server.url)

    page.goto("/backoffice/fulfilment/")
    page.get_by_role("link", name=order.number).first.click()
    slip = page.locator("article.packing-slip")
    expect(slip).to_contain_text("Hana Sato")
    expect(slip).to_contain_text("Happy birthday, Aoi!")
    # P13: what packing needs, and no e-mail, no prices, no card.
    for secret in (customer.email, "$27.00", "4242"):
        expect(slip).not_to_contain_text(secret)
    assert_accessible(page, "the packing slip")

    # The print view: the form and the site's frame are gone, the address stays.
    page.emulate_media(media="print")
    expect(page.locator(".ship-form")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(slip.locator("address")).to_be_visible()
    screenshot(page, "1-printed-slip")
    assert page.pdf()[:4] == b"%PDF"
    page.emulate_media(media="screen")
    # Each view of the slip, and so each print, is one entry in the customer's access log.
    looks = AccessLogEntry.objects.filter(subject_id=customer.pk, purpose=Purpose.FULFILMENT.value)
    assert list(looks.values_list("actor_id", "granted")) == [(packer.pk, True)]
    assert "orders.Order.ship_line1" in looks.get().fields
    assert "orders.Order.email" not in looks.get().fields

    page.get_by_label("Carrier").select_option("ups")
    page.get_by_label("Tracking number").fill("1Z12345E0205271688")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick list")
    expect(page.get_by_text(f"Order {order.number}: marked shipped")).to_be_visible()

    mail = mail_about(smtp_server, "has shipped")
    assert mail.rcpt_tos == [customer.email]
    assert "Tracking number: 1Z12345E0205271688" in mail.text
    assert "https://www.ups.com/track?tracknum=1Z12345E0205271688" in mail.text
    assert (
        smtp_server.find_link("ups.com") == "https://www.ups.com/track?tracknum=1Z12345E0205271688"
    )
    order.refresh_from_db()
    assert order.state == "shipped"
    assert processor.get(order.payment_id)["captured"] == 3200
