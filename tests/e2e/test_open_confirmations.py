"""P7 in a real browser: a customer sees the opens the shop recorded in "My data" and turns
the recording off; later fetches of the image record nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from bungu.mail import opens
from bungu.mail.models import OpenTracking, OutboxMessage, State
from tests.accounts.factories import CustomerFactory
from tests.e2e.signing_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PERSON = "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0"


def test_a_customer_sees_recorded_opens_and_turns_recording_off(  # type: ignore[no-untyped-def]
    page, live_server, screenshot
) -> None:
    customer = CustomerFactory(email="mei@example.com")
    message = OutboxMessage.objects.create(
        to_address=customer.email,
        recipient=customer,
        kind="marketing",
        from_address="shop@bungu.test",
        subject="New inks",
        text_body="New inks",
        html_body="<p>New inks</p>",
        message_id="<newinks@bungu.test>",
        state=State.SENT,
        sent_at=timezone.now() - timedelta(hours=3),
    )
    token = opens.html_to_send(message).split("/mail/open/")[1].split(".gif")[0]
    image = Client()
    for _ in range(2):
        assert (
            image.get(f"/mail/open/{token}.gif", headers={"User-Agent": PERSON}).status_code == 200
        )
    sign_in(page.context, customer, live_server.url)

    page.goto("/privacy/my-data/")
    recorded = page.locator("#data-mailopentracking")
    expect(recorded).to_contain_text("Times opened")
    expect(recorded.locator("tr", has_text="Times opened")).to_contain_text("2")
    switch = page.locator("#open-confirmations")
    expect(switch).to_contain_text("We note when you open our marketing e-mail")
    screenshot(page, "1-opens-recorded")

    switch.get_by_role("button", name="Stop noting when I open your e-mail").click()

    expect(page.get_by_text("We no longer note when you open our e-mail.")).to_be_visible()
    expect(page.locator("#open-confirmations")).to_contain_text(
        "You turned open confirmations off."
    )
    expect(page.locator("#consents")).to_contain_text("email-open-tracking")
    # The opens noted before stay visible (until their retention ends).
    expect(page.locator("#data-mailopentracking")).to_contain_text("Times opened")
    screenshot(page, "2-recording-off")

    # It stops at once: the image still loads, and nothing more is noted.
    assert image.get(f"/mail/open/{token}.gif", headers={"User-Agent": PERSON}).status_code == 200
    assert OpenTracking.objects.get().opens == 2
