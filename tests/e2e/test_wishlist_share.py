"""A customer makes a wish list, saves an item from its page, shares it and revokes the link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory
from tests.e2e.signing_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_shares_a_wish_list_and_revokes_the_link(
    page, browser, live_server, screenshot
) -> None:
    owner = CustomerFactory(name="Aiko Tanaka", email="aiko@example.com")
    product = ProductFactory(name="Kakuno fountain pen", slug="kakuno")
    sign_in(page.context, owner, live_server.url)

    page.goto("/wishlists/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your wish lists")
    page.get_by_label("Name of the wish list").fill("Birthday")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Birthday")
    expect(page.get_by_text("This list is private: only you can see it.")).to_be_visible()

    page.goto(product.get_absolute_url())
    page.get_by_label("Note (optional)").fill("The blue one, please")
    page.get_by_role("button", name="Save to “Birthday”").click()
    expect(page.get_by_text("Saved to your wish list “Birthday”.")).to_be_visible()
    screenshot(page, "1-saved-from-product-page")

    page.goto("/wishlists/")
    page.get_by_role("link", name="Birthday").click()
    expect(page.get_by_role("link", name="Kakuno fountain pen")).to_be_visible()
    expect(page.get_by_text("The blue one, please")).to_be_visible()
    page.get_by_role("button", name="Share by link").click()
    link = page.get_by_label("Link to share").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/wishlists/shared/[\w-]{{43}}/", link)
    screenshot(page, "2-shared")

    visitor = browser.new_context()
    try:
        visit = visitor.new_page()
        response = visit.goto(link)
        assert response is not None
        assert response.status == 200
        expect(visit.get_by_role("heading", level=1)).to_have_text("Birthday")
        expect(visit.get_by_text("A wish list shared by Aiko.")).to_be_visible()
        expect(visit.get_by_role("link", name="Kakuno fountain pen")).to_be_visible()
        expect(visit.get_by_role("button")).to_have_count(1)  # the site search, nothing else
        content = visit.content()
        assert "aiko@example.com" not in content
        assert "Tanaka" not in content
        screenshot(visit, "3-visitor-sees-the-list")

        page.get_by_role("button", name="Stop sharing").click()
        expect(
            page.get_by_text("The list is private again: its link no longer works.")
        ).to_be_visible()

        gone = visit.goto(link)
        assert gone is not None
        assert gone.status == 404
        screenshot(visit, "4-revoked-link")
    finally:
        visitor.close()
