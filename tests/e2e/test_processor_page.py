"""The sandbox processor's hosted page in a real browser: keyboard alone, no JavaScript,
a 3-D Secure card (P1, P2: the card is typed on the processor's origin only)."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_paying_with_a_3ds_card_by_keyboard_alone_without_javascript(browser, card_processor):
    landing = f"{card_processor.base_url}/test-cards"
    payment = card_processor.create(amount=2750, return_url=landing)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(payment["checkout_url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay 27.50 USD")

    # A declined card first: the reason is shown and the form is offered again.
    page.keyboard.press("Tab")  # the test-card link in the banner
    for label, text in [
        ("Name on the card (optional)", "Test Buyer"),
        ("Card number", "4000 0000 0000 9995"),
        ("Expiry date", "12/34"),
        ("Security code", "123"),
    ]:
        page.keyboard.press("Tab")
        expect(page.get_by_label(label)).to_be_focused()
        page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Your card has insufficient funds.")
    expect(page.get_by_label("Card number")).to_have_value("")

    page.get_by_label("Card number").focus()
    page.keyboard.type("4000 0025 0000 3155")
    page.keyboard.press("Tab")
    page.keyboard.type("12/34")
    page.keyboard.press("Tab")
    page.keyboard.type("123")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your payment of 27.50 USD")
    complete = page.get_by_role("button", name="Complete authentication")
    complete.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/test-cards\?payment={payment['id']}$"))
    after = card_processor.get(payment["id"])
    assert after["state"] == "authorised"
    assert after["card"]["last4"] == "3155"
    context.close()
