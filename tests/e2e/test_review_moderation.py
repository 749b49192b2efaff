"""A customer writes a review, staff approve it in the admin, and it shows on the product page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory
from tests.e2e.signing_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_review_is_written_approved_and_published(page, browser, live_server, screenshot) -> None:
    customer = CustomerFactory(name="Ren")
    staff = CustomerFactory(is_staff=True, is_superuser=True)
    product = ProductFactory(name="Sarasa Clip", slug="sarasa-clip")
    sign_in(page.context, customer, live_server.url)

    page.goto(product.get_absolute_url())
    reviews = page.get_by_role("region", name="Reviews")
    expect(reviews.get_by_text("No reviews yet.")).to_be_visible()
    reviews.get_by_label("4 stars").check()
    reviews.get_by_label("Your review").fill("Smooth, and the clip holds. <b>Recommended</b>")
    reviews.get_by_role("button", name="Send review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reviews")
    expect(page.locator(".review-status")).to_have_text("Waiting for moderation")
    screenshot(page, "1-waiting-for-moderation")

    moderator = browser.new_context(base_url=live_server.url)
    try:
        sign_in(moderator, staff, live_server.url)
        admin = moderator.new_page()
        admin.goto("/admin/reviews/review/")
        row = admin.locator("#result_list tbody tr").filter(has_text="Smooth, and the clip holds.")
        row.locator("input[name=_selected_action]").check()
        admin.locator("select[name=action]").select_option("approve")
        admin.get_by_role("button", name="Go").click()
        expect(admin.get_by_text("Approved 1 review(s).")).to_be_visible()
        screenshot(admin, "2-approved-in-the-admin")
    finally:
        moderator.close()

    visitor = browser.new_context(base_url=live_server.url)
    try:
        shop = visitor.new_page()
        shop.goto(product.get_absolute_url())
        expect(shop.locator(".product-rating")).to_contain_text("4.0 out of 5 (1 review)")
        published = shop.get_by_role("region", name="Reviews").locator(".review")
        expect(published).to_have_count(1)
        expect(published.locator(".review-author")).to_have_text("Ren")
        # The markup the customer typed is shown as text, never rendered.
        expect(published.locator(".review-body")).to_have_text(
            "Smooth, and the clip holds. <b>Recommended</b>"
        )
        expect(published.locator("b")).to_have_count(0)
        screenshot(shop, "3-published-on-the-product-page")
    finally:
        visitor.close()

    page.goto("/reviews/")
    expect(page.locator(".review-status")).to_have_text("Published")
