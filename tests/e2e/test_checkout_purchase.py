"""Buying in a real Chromium through the real sandbox processor's page (issue 9).

A guest (keyboard alone, from the product page to the confirmation, the processor's page
included) and a signed-in customer each buy twice: a declined card, then an approved one on
the same payment (the reason is shown, one order); a 3-D Secure card whose challenge fails
(no order, a clear message), then one whose challenge is completed (an order). The processor
returns the customer to the live server and sends its signed webhooks there too. Each
confirmation page and e-mail (delivered to a real SMTP server on loopback) shows the card as
brand and last four only (P2). Every checkout page and the processor's pages pass axe-core
(0 serious or critical violations) on the way. At the end of each test the P2 scan finds no
card number in the shop's database, its log, its outbox or the mail that was sent, and finds
the one planted in a copy (the positive control).
"""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail as django_mail
from playwright.sync_api import expect

from bungu.mail.models import OutboxMessage
from bungu.orders.models import Order
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.e2e.accessibility import assert_accessible
from tests.e2e.checkout_flow import (
    ALWAYS_CHALLENGE,
    APPROVED,
    CHALLENGE,
    CVC,
    DECLINED,
    EXPIRY,
    LiveShop,
    attempt_of,
    expect_card_shown_as_last_four,
    expect_confirmation_mail,
    make_notebook,
    payment_id_of,
    seed_shop_tables,
    wait_for_mail,
    wait_for_webhooks,
)
from tests.e2e.keyboard import tab_and_press, tab_and_type, tab_to
from tests.e2e.signing_in import sign_in
from tests.pan_scan import database_dump, find_pans, scan

pytestmark = pytest.mark.django_db(transaction=True)

GUEST_EMAIL = "hana@example.com"
DECLINE_REASON = "Your card was declined. Try another card."
AUTH_FAILED = "We could not authenticate your payment (3-D Secure)."
CANCELLED = "The payment was cancelled and nothing was charged."


@pytest.fixture
def shop(live_server, sandbox_gateway, card_processor, smtp_server, caplog, settings) -> LiveShop:  # type: ignore[no-untyped-def]  # noqa: PLR0917 - fixtures
    """The live shop paying through the real processor, whose webhooks come back to it."""
    caplog.set_level(logging.DEBUG)  # every record of the shop and the live server, for P2
    settings.BUNGU_SITE_URL = live_server.url  # the links in the e-mails
    seed_shop_tables()
    make_notebook()
    card_processor.webhook_mode(url=f"{live_server.url}/checkout/webhook/")
    return LiveShop(url=live_server.url, processor=card_processor, smtp=smtp_server, caplog=caplog)


# ---------------------------------------------------------------- the processor's page
def pay_by_keyboard(page, number: str) -> None:  # type: ignore[no-untyped-def]
    tab_and_type(page, page.get_by_label("Card number"), number)
    page.keyboard.press("Tab")
    page.keyboard.type(EXPIRY)
    page.keyboard.press("Tab")
    page.keyboard.type(CVC)
    page.keyboard.press("Enter")


def pay_by_mouse(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill(EXPIRY)
    page.get_by_label("Security code").fill(CVC)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def expect_processor_page(page, card_processor) -> None:  # type: ignore[no-untyped-def]
    expect(page).to_have_url(re.compile(rf"^{re.escape(card_processor.base_url)}/pay/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pay \d+\.\d\d USD$"))


# ---------------------------------------------------------------- P2 at the end
def assert_no_card_number_kept(shop: LiveShop) -> None:
    """P2: the shop's database (every table, decoded sessions), its log and the live
    server's, the processor's log, the outbox and the delivered mail hold no card number."""
    dump = database_dump()
    outbox = "\n".join(
        f"{m.subject}\n{m.text_body}\n{m.html_body}\n{m.headers}"
        for m in OutboxMessage.objects.all()
    )
    delivered = "\n".join(
        f"{m.message.as_string()}\n{m.text}\n{m.html}" for m in shop.smtp.messages
    )
    sources = {
        "database": dump,
        "log": shop.caplog.text,
        "processor log": shop.processor.log(),
        "outbox": outbox,
        "mail": delivered,
        "django mail": "\n".join(str(m.message()) for m in getattr(django_mail, "outbox", [])),
    }
    assert all(sources[name] for name in ("database", "log", "outbox", "mail")), sources.keys()
    assert scan(sources) == []

    # Positive control: a copy of the dump with a card number planted is caught, and a
    # sixteen-digit number that fails the Luhn check is not.
    planted = dump.replace("MD Notebook", "MD Notebook 4000-0025-0000-3155", 1)
    assert find_pans(planted) == ["4000002500003155"]
    assert find_pans(dump + "\nnote: 4242 4242 4242 4241") == []
    # ... one the shop logs is found in the captured log ...
    logging.getLogger("bungu.checkout.services").info("planted %s", "6011-1111-1111-1117")
    assert [str(f) for f in scan({"log": shop.caplog.text})] == ["log: 601111******1117"]
    # ... and one written into an order row in the database is found by a fresh dump.
    Order.objects.filter(pk=Order.objects.first().pk).update(ship_line2="5555 5555 5555 4444")  # type: ignore[union-attr]
    assert find_pans(database_dump()) == ["5555555555554444"]


# ---------------------------------------------------------------- the guest
def test_guest_buys_by_keyboard_alone_through_the_processors_page(  # type: ignore[no-untyped-def]
    page, shop: LiveShop, screenshot
):
    card_processor, smtp_server = shop.processor, shop.smtp
    # 1. A declined card, then an approved one on the same payment: one order.
    page.goto("/p/md-notebook/")
    tab_and_press(page, page.get_by_role("button", name="Add to cart"))
    expect(page.locator("#cart-count")).to_have_text("1 item")
    tab_and_press(page, page.get_by_role("link", name=re.compile(r"^Cart")))
    tab_and_press(page, page.get_by_role("link", name="Check out"))
    fill_guest_address(page)
    assert_accessible(page, "address (guest)")
    tab_and_press(page, page.get_by_role("button", name="Continue to shipping"))
    choose_standard_shipping(page)
    tab_and_press(page, page.get_by_role("button", name=re.compile(r"^Place order and pay")))

    expect_processor_page(page, card_processor)
    first_payment = payment_id_of(page)
    pay_by_keyboard(page, DECLINED)
    expect(page.get_by_role("alert")).to_contain_text(DECLINE_REASON)
    assert Order.objects.count() == 0
    pay_by_keyboard(page, APPROVED)

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Thank you: your order"))
    order = Order.objects.get()
    assert order.payment_id == first_payment
    assert (order.customer_id, order.email) == (None, GUEST_EMAIL)
    expect_card_shown_as_last_four(page, brand="Visa", number=APPROVED)
    screenshot(page, "guest-confirmation")
    first_mail = wait_for_mail(smtp_server, 1)[0]
    expect_confirmation_mail(first_mail, to=GUEST_EMAIL, order=order, brand="Visa", number=APPROVED)
    assert card_processor.get(first_payment)["state"] == "authorised"

    # The guest's order page, through the signed link in the e-mail.
    page.goto(smtp_server.find_link("/orders/guest/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect_card_shown_as_last_four(page, brand="Visa", number=APPROVED)
    assert_accessible(page, "guest order page")

    # 2. 3-D Secure failed: no order, a clear message; back at the shop, placed again with a
    # card whose challenge is completed.
    page.goto("/p/md-notebook/")
    tab_and_press(page, page.get_by_role("button", name="Add to cart"))
    expect(page.locator("#cart-count")).to_have_text("1 item")
    tab_and_press(page, page.get_by_role("link", name=re.compile(r"^Cart")))
    tab_and_press(page, page.get_by_role("link", name="Check out"))
    fill_guest_address(page)
    tab_and_press(page, page.get_by_role("button", name="Continue to shipping"))
    choose_standard_shipping(page)
    tab_and_press(page, page.get_by_role("button", name=re.compile(r"^Place order and pay")))

    expect_processor_page(page, card_processor)
    failed_payment = payment_id_of(page)
    pay_by_keyboard(page, CHALLENGE)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Confirm your payment of ")
    )
    tab_and_press(page, page.get_by_role("button", name="Fail authentication"))
    expect(page.get_by_role("alert")).to_contain_text(AUTH_FAILED)
    assert Order.objects.count() == 1
    tab_and_press(page, page.get_by_role("button", name="Cancel and return to the shop"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order")
    expect(page.get_by_text(CANCELLED)).to_be_visible()
    assert Order.objects.count() == 1
    assert attempt_of(failed_payment).state == "failed"

    tab_and_press(page, page.get_by_role("button", name=re.compile(r"^Place order and pay")))
    expect_processor_page(page, card_processor)
    second_payment = payment_id_of(page)
    assert second_payment != failed_payment
    pay_by_keyboard(page, CHALLENGE)
    tab_and_press(page, page.get_by_role("button", name="Complete authentication"))

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Thank you: your order"))
    assert Order.objects.count() == 2
    second = Order.objects.get(payment_id=second_payment)
    expect_card_shown_as_last_four(page, brand="Visa", number=CHALLENGE)
    second_mail = wait_for_mail(smtp_server, 2)[1]
    expect_confirmation_mail(
        second_mail, to=GUEST_EMAIL, order=second, brand="Visa", number=CHALLENGE
    )

    wait_for_webhooks(card_processor, [first_payment, failed_payment, second_payment])
    assert Order.objects.count() == 2  # the webhooks converged on the same orders
    assert_no_card_number_kept(shop)


def fill_guest_address(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.get_by_role("heading", level=1)).to_have_text("Where should we send it?")
    for label, text in [
        ("E-mail address", GUEST_EMAIL),
        ("Recipient's name", "Hana Sato"),
        ("Street address", "1 Market Street"),
        ("City", "San Francisco"),
        ("State, province or prefecture", "CA"),
        ("ZIP or postal code", "94105"),
    ]:
        field = page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))
        tab_to(page, field)
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(text)
    tab_and_press(page, page.get_by_label("I am 18 or over"), "Space")
    expect(page.get_by_label("I am 18 or over")).to_be_checked()


def choose_standard_shipping(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.get_by_role("heading", level=1)).to_have_text("How should we send it?")
    standard = page.get_by_role("radio", name=re.compile(r"^Standard"))
    tab_and_press(page, standard, "Space")
    expect(standard).to_be_checked()
    page.keyboard.press("Enter")  # submits the form from the radio button
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order")


# ---------------------------------------------------------------- the signed-in customer
def test_signed_in_customer_buys_and_every_page_passes_axe(  # type: ignore[no-untyped-def]
    page, shop: LiveShop, screenshot
):
    card_processor, smtp_server = shop.processor, shop.smtp
    customer = CustomerFactory(email="kenji@example.com")
    AddressFactory(customer=customer, recipient="Kenji Mori", is_default_shipping=True)
    sign_in(page.context, customer, shop.url)

    # 1. A declined card, then an approved one.
    place_signed_in_order(page)
    expect_processor_page(page, card_processor)
    assert_accessible(page, "processor's payment page")
    first_payment = payment_id_of(page)
    pay_by_mouse(page, DECLINED)
    expect(page.get_by_role("alert")).to_contain_text(DECLINE_REASON)
    assert_accessible(page, "processor's payment page with a decline")
    pay_by_mouse(page, APPROVED)

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Thank you: your order"))
    assert_accessible(page, "confirmation")
    order = Order.objects.get()
    assert (order.customer_id, order.payment_id) == (customer.pk, first_payment)
    expect_card_shown_as_last_four(page, brand="Visa", number=APPROVED)
    expect_confirmation_mail(
        wait_for_mail(smtp_server, 1)[0],
        to=customer.email,
        order=order,
        brand="Visa",
        number=APPROVED,
    )
    page.get_by_role("link", name="your orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect_card_shown_as_last_four(page, brand="Visa", number=APPROVED)
    assert_accessible(page, "order detail")
    screenshot(page, "order-detail")

    # 2. 3-D Secure: failed (no order, the reason on the processor's page), then another
    # card whose challenge is completed.
    place_signed_in_order(page)
    expect_processor_page(page, card_processor)
    second_payment = payment_id_of(page)
    pay_by_mouse(page, ALWAYS_CHALLENGE)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Confirm your payment of ")
    )
    assert_accessible(page, "processor's 3-D Secure challenge")
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("alert")).to_contain_text(AUTH_FAILED)
    assert Order.objects.count() == 1
    pay_by_mouse(page, CHALLENGE)
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Thank you: your order"))
    assert Order.objects.count() == 2
    second = Order.objects.get(payment_id=second_payment)
    expect_card_shown_as_last_four(page, brand="Visa", number=CHALLENGE)
    expect_confirmation_mail(
        wait_for_mail(smtp_server, 2)[1],
        to=customer.email,
        order=second,
        brand="Visa",
        number=CHALLENGE,
    )

    page.goto(f"{card_processor.base_url}/test-cards")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test cards")
    assert_accessible(page, "processor's test cards")

    wait_for_webhooks(card_processor, [first_payment, second_payment])
    assert Order.objects.count() == 2
    assert_no_card_number_kept(shop)


def place_signed_in_order(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/p/md-notebook/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-count")).to_have_text("1 item")
    page.goto("/checkout/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Where should we send it?")
    expect(page.get_by_label("Ship to a saved address")).to_have_value(re.compile(r"^\d+$"))
    assert_accessible(page, "address (signed in)")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How should we send it?")
    assert_accessible(page, "shipping")
    page.get_by_role("radio", name=re.compile(r"^Standard")).check()
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order")
    assert_accessible(page, "review")
    page.get_by_role("button", name=re.compile(r"^Place order and pay")).click()
