"""Staff build a segment, preview and send a campaign; a customer who received it stops
marketing e-mail with its unsubscribe link, and the next campaign skips them (P21)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bungu.marketing.models import Campaign, CampaignRecipient, SkipReason
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member
from tests.e2e.signing_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _write(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/backoffice/campaigns/new/")
    page.locator("#id_name").fill(name)
    page.locator("#id_subject").fill("Autumn inks for {{ name }}")
    page.locator("#id_body").fill("Dear {{ name }},\n\nThe autumn inks are in.")
    page.locator("#id_segment").select_option("in_state")
    page.locator("#id_segment_argument").fill("CA")
    page.get_by_role("button", name="Save as a draft").click()


def test_staff_build_preview_and_send_and_the_customer_unsubscribes(
    page, live_server, smtp_server, settings, screenshot
) -> None:
    settings.BUNGU_SITE_URL = live_server.url
    hana = CustomerFactory(name="Hana Sato", email="hana@example.com")
    hana.addresses.create(
        label="Home",
        recipient="Hana Sato",
        line1="1 Market St",
        city="SF",
        region="CA",
        postal_code="94105",
        country="US",
    )
    CustomerFactory(name="Ken", email="ken@example.com")  # not in California
    sign_in(page.context, staff_member("Marketing"), live_server.url)

    # A bad segment argument is refused with the reason, nothing saved.
    page.goto("/backoffice/campaigns/new/")
    page.locator("#id_name").fill("Broken")
    page.locator("#id_subject").fill("Hi")
    page.locator("#id_body").fill("Hi")
    page.locator("#id_segment").select_option("bought_in_category")
    page.get_by_role("button", name="Save as a draft").click()
    expect(page.get_by_text("This segment needs a category.")).to_be_visible()

    _write(page, "Autumn inks")
    expect(page.locator("#segment-size")).to_have_text("1 customer")
    preview = page.locator("#campaign-preview")
    expect(preview).to_contain_text("Autumn inks for Hana Sato")
    expect(preview).to_contain_text("Dear Hana Sato,")
    screenshot(page, "1-draft-with-size-and-preview")

    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_text("Sending has started.")).to_be_visible()
    page.reload()
    expect(page.locator("#campaign-state")).to_contain_text("done")
    expect(page.locator("#campaign-progress tbody td").first).to_have_text("1")
    screenshot(page, "2-sent")
    assert [mail.rcpt_tos for mail in smtp_server.messages] == [["hana@example.com"]]

    # The customer follows the link in the mail, without signing in.
    customer = page.context.browser.new_context(base_url=live_server.url)
    try:
        inbox = customer.new_page()
        inbox.goto(smtp_server.find_link("/mail/unsubscribe/"))
        inbox.get_by_role("button", name="Unsubscribe").click()
        expect(inbox.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    finally:
        customer.close()

    _write(page, "Winter inks")
    page.get_by_role("button", name="Send now").click()
    # The POST's redirect must have arrived before the reload, or the reload races it.
    expect(page.get_by_text("Sending has started.")).to_be_visible()
    page.reload()
    expect(page.locator("#campaign-state")).to_contain_text("done")
    assert len(smtp_server.messages) == 1
    second = Campaign.objects.get(name="Winter inks")
    row = CampaignRecipient.objects.get(campaign=second)
    assert row.skip_reason == SkipReason.PREFERENCES
    expect(page.get_by_text("the customer turned off this kind of e-mail (P21)")).to_be_visible()
