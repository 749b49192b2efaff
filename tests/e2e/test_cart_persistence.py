"""A visitor's cart survives closing the browser (P6, P10), and htmx updates it in place."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bungu.cart import tokens
from tests.catalog.factories import ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pen() -> None:
    product = ProductFactory(name="Kakuno", slug="kakuno", skus=0)
    for position, ink in enumerate(["Black", "Blue"]):
        SKUFactory(
            product=product,
            code=f"KAKUNO-{ink.upper()}",
            ink_colour=ink,
            tip_size="F",
            price=Decimal("12.50"),
            stock=5,
            position=position,
        )
    product.refresh_listing_fields()


def test_an_anonymous_cart_is_found_again_in_a_new_browser_context(
    browser, live_server, screenshot, pen, tmp_path
) -> None:
    first = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = first.new_page()
    page.goto("/p/kakuno/")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/cart/\?added=1$"))
    expect(page.get_by_text("Added 2 of Kakuno (F, Black) to your cart.")).to_be_visible()
    expect(page.locator("#cart-count")).to_have_text("2 items")
    screenshot(page, "1-cart-without-javascript")

    cookie = next(c for c in first.cookies() if c["name"] == tokens.cookie_name())
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["expires"] > 0  # persistent: it outlives the browser session
    state = tmp_path / "state.json"
    first.storage_state(path=str(state))
    first.close()

    second = browser.new_context(base_url=live_server.url, storage_state=str(state))
    page = second.new_page()
    page.goto("/cart/")
    row = page.locator("tr.cart-line")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="Kakuno (F, Black)")).to_be_visible()
    expect(page.get_by_label("Quantity of Kakuno (F, Black)")).to_have_value("2")
    expect(page.locator(".cart-subtotal")).to_have_text("$25.00")
    screenshot(page, "2-cart-in-a-new-context")

    page.get_by_label("Quantity of Kakuno (F, Black)").fill("9")
    page.get_by_role("button", name="Update Kakuno (F, Black)").click()
    expect(page.get_by_text("Only 5 of Kakuno (F, Black) left in stock")).to_be_visible()
    expect(page.locator(".cart-subtotal")).to_have_text("$62.50")
    page.get_by_role("button", name="Remove Kakuno (F, Black)").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    second.close()


def test_with_javascript_adding_updates_the_badge_in_place(page, screenshot, pen) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto("/p/kakuno/?sku=KAKUNO-BLUE")
    expect(page.locator("#cart-count")).to_have_text("0 items")
    url_before = page.url

    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()

    feedback = page.locator("#cart-feedback")
    expect(feedback).to_contain_text("Added 3 of Kakuno (F, Blue) to your cart.")
    expect(page.locator("#cart-count")).to_have_text("3 items")
    assert page.url == url_before
    screenshot(page, "1-added-in-place")

    page.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Add to cart").click()
    expect(feedback).to_contain_text("Only 5 of Kakuno (F, Blue) left in stock")
    expect(page.locator("#cart-count")).to_have_text("5 items")

    page.get_by_role("button", name="Add to cart").click()
    expect(feedback).to_contain_text("Nothing was added: Your cart already holds all 5")
    expect(page.locator("#cart-count")).to_have_text("5 items")
    screenshot(page, "2-refused-in-place")
    # CSP holds: htmx needed no inline style or eval.
    assert [e for e in errors if "Content Security Policy" in e] == []
