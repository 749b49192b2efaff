"""A customer signs up, verifies the address from the outbox, signs in, and ends another
session from the sessions page (P3, P23) in a real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bungu.mail.models import OutboxMessage
from tests.accounts.factories import PASSWORD
from tests.e2e.signing_in import sign_in_with_password
from tests.e2e.timeouts import BROWSER_TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "hana@example.com"


@pytest.fixture(autouse=True)
def _mail_goes_to_the_outbox(settings):
    # pytest-django swaps in Django's in-memory backend; the shop's own outbox is the real one.
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"


def _sign_in(page, *, remember: bool) -> None:
    sign_in_with_password(page, EMAIL, remember=remember)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def test_sign_up_verify_sign_in_and_end_another_session(page, browser, live_server, screenshot):
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")

    page.get_by_label("Email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    # P23: the browser will not send the form without the age statement (the server checks
    # it too: tests/accounts/test_signup.py).
    expect(page.get_by_label("I am 18 or over")).to_have_attribute("required", "")
    page.get_by_label("I am 18 or over").check()
    screenshot(page, "01-sign-up")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")

    message = OutboxMessage.objects.get(to_address=EMAIL)
    assert message.kind == "account.verify"
    link = re.search(r"https?://\S+/account/confirm-email/\S+/", message.text_body)
    assert link is not None, message.text_body
    page.goto(link.group(0))
    screenshot(page, "02-confirm-address")
    page.get_by_role("button", name="Confirm").click()

    _sign_in(page, remember=False)
    screenshot(page, "03-account")

    # The same customer on another computer, who ticked "keep me signed in" there.
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    other.set_default_timeout(BROWSER_TIMEOUT_MS)
    elsewhere = other.new_page()
    _sign_in(elsewhere, remember=True)

    page.get_by_role("link", name="Where you're signed in", exact=True).click()
    rows = page.locator("table.account-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tr.is-current")).to_contain_text("This browser")
    screenshot(page, "04-sessions")

    page.locator("tbody tr:not(.is-current)").get_by_role("button", name=re.compile("^End")).click()
    expect(page.get_by_text("That session is ended")).to_be_visible()
    expect(rows).to_have_count(1)
    screenshot(page, "05-other-session-ended")

    elsewhere.goto("/account/")
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Sign In")
    screenshot(elsewhere, "06-other-computer-signed-out")
    other.close()

    # Sign-out ends this session too, with a POST from the header.
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
