"""A visitor fills a cart, signs up, verifies the address and signs in: the cart comes along
(P6, P10), in a real Chromium."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bungu.mail.models import OutboxMessage
from tests.accounts.factories import PASSWORD
from tests.catalog.factories import ProductFactory, SKUFactory
from tests.e2e.signing_in import sign_in_with_password

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "kenji@example.com"


@pytest.fixture(autouse=True)
def _mail_goes_to_the_outbox(settings):
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"


@pytest.fixture
def notebook() -> None:
    product = ProductFactory(name="MD Notebook", slug="md-notebook", skus=0)
    SKUFactory(
        product=product,
        code="MD-A5",
        paper_size="A5",
        tip_size="",
        ink_colour="",
        price=Decimal("18.00"),
        stock=10,
    )
    product.refresh_listing_fields()


def test_anonymous_cart_is_merged_into_the_new_account(page, screenshot, notebook) -> None:
    page.goto("/p/md-notebook/")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-count")).to_have_text("3 items")

    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="sign up").click()
    page.get_by_label("Email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("I am 18 or over").check()
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")

    message = OutboxMessage.objects.get(to_address=EMAIL)
    link = re.search(r"https?://\S+/account/confirm-email/\S+/", message.text_body)
    assert link is not None, message.text_body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()

    sign_in_with_password(page, EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    page.goto("/cart/")
    row = page.locator("tr.cart-line")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("MD Notebook")
    expect(page.locator(".cart-subtotal")).to_have_text("$54.00")
    expect(page.locator("#cart-count")).to_have_text("3 items")
    screenshot(page, "merged-cart")
