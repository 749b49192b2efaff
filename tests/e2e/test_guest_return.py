"""A guest, who has no account to sign in to, asks for a return through the signed link in
the shipping e-mail read from the real SMTP server, and staff see the request."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bungu.orders import fulfilment
from bungu.orders.models import ReturnRequest
from tests.catalog.factories import SKUFactory
from tests.e2e.mailbox import mail_about
from tests.orders.factories import place_paid_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(live_server, card_processor, sandbox_gateway, smtp_server, settings):  # type: ignore[no-untyped-def]
    # The e-mail's links lead to the live server.
    settings.BUNGU_SITE_URL = live_server.url
    return card_processor, sandbox_gateway, smtp_server


def test_a_guest_asks_for_a_return_from_the_link_in_the_shipping_mail(  # type: ignore[no-untyped-def]
    page, shop, screenshot
) -> None:
    card_processor, sandbox_gateway, smtp_server = shop
    ink = SKUFactory(price=Decimal("14.00"), stock=5)
    order = place_paid_order(
        processor=card_processor,
        gateway=sandbox_gateway,
        items=[(ink, 2)],
        email="guest.buyer@example.com",
    )
    fulfilment.ship_lines(
        order=order,
        line_ids=[order.lines.get().pk],
        carrier="fedex",
        tracking_number="612999AA10NA",
        actor="staff #1",
    )
    shipped = mail_about(smtp_server, "has shipped")
    assert shipped.rcpt_tos == ["guest.buyer@example.com"]

    page.goto(smtp_server.find_link("/orders/guest/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    form = page.locator("form.order-return")
    form.get_by_role("spinbutton").fill("2")
    form.get_by_label("Why (optional)").fill("Two of the same gift")
    form.get_by_role("button", name="Ask for a return").click()
    expect(page.get_by_text("Your return request is in.")).to_be_visible()
    expect(page.get_by_role("region", name="Returns")).to_contain_text("Requested")
    screenshot(page, "guest-return-asked")

    assert mail_about(smtp_server, "return requested").rcpt_tos == ["guest.buyer@example.com"]
    request = ReturnRequest.objects.get(order=order)
    assert request.reason == "Two of the same gift"
    assert order.events.get(kind="return_requested").actor == "guest"
