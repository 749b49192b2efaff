"""P19, P20, P22 in a real browser: a customer reads "My data", downloads it, corrects their
name (and sees the prior version), asks to delete the account, and after the grace period
the account is gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from bungu.privacy.rights import deletion as account_deletion
from tests.accounts.factories import PASSWORD, CustomerFactory
from tests.e2e.signing_in import sign_in, sign_in_with_password

pytestmark = pytest.mark.django_db(transaction=True)


def test_my_data_download_correction_and_deletion(page, live_server, screenshot) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(email="hana@example.com", name="Hana Sato", password=PASSWORD)
    sign_in(page.context, customer, live_server.url)

    page.goto("/privacy/my-data/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    users = page.locator("#data-accountsuser")
    expect(users).to_contain_text("hana@example.com")
    expect(users).to_contain_text("Hana Sato")
    # Times read as dates in the shop's format, not as ISO 8601 (that is for the download).
    joined = date_format(timezone.localtime(customer.date_joined), "DATETIME_FORMAT")
    expect(users).to_contain_text(joined)
    expect(page.locator("#staff-changes")).to_contain_text("Nobody at the shop has changed")
    screenshot(page, "1-my-data")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all of it (JSON)").click()
    downloaded = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert downloaded["customer"] == customer.pk
    assert "hana@example.com" in json.dumps(downloaded)

    users.get_by_role("link", name="Correct or change this").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    page.get_by_label("What we should call you").fill("Hana Sato-Kimura")
    page.get_by_role("button", name="Save profile").click()
    screenshot(page, "2-profile-corrected")

    page.goto("/privacy/my-data/")
    expect(page.locator("#data-accountsuser")).to_contain_text("Hana Sato-Kimura")
    # P20: the earlier version is kept and shown.
    prior = page.locator("#data-accountspriorversion")
    expect(prior).to_contain_text("Hana Sato")
    screenshot(page, "3-my-data-with-prior-version")

    page.goto("/account/")
    page.get_by_role("link", name="Delete your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("button", name="Keep my account")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Your account will be deleted on")
    screenshot(page, "4-deletion-pending")

    deletion = account_deletion.pending_account_deletion(subject=customer)
    assert deletion is not None
    assert (
        account_deletion.run_due_deletions(now=deletion.due_at + timezone.timedelta(hours=1)) == 1
    )

    # Signed out everywhere: the account page now asks to sign in.
    page.goto("/account/")
    expect(page).to_have_url(f"{live_server.url}/account/login/?next=/account/")
    sign_in_with_password(page, "hana@example.com")
    expect(page.get_by_text("are not correct")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/account/login/")
    screenshot(page, "5-sign-in-fails")
    customer.refresh_from_db()
    assert customer.email != "hana@example.com"
    assert customer.is_active is False
