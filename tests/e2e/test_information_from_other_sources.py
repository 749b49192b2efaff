"""P9 (with P19, P20) in a real browser: two other companies' files add interests to a
customer's account through the import's own service; the customer signs in, finds each value
and where it came from in "My data", corrects one and removes the other. The page shows the
change, the database holds it, the earlier version is kept (P20) and the removal is recorded
without the value, so the next file from that source does not bring it back."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from bungu.accounts.models import PriorVersion, SourcedDetail, SourcedRemoval
from bungu.accounts.sourced import import_sourced_details
from bungu.accounts.sourced_file import read_source_file
from tests.accounts.factories import PASSWORD, CustomerFactory
from tests.e2e.signing_in import sign_in_with_password

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "email,interests,address_line1,address_line2,city,region,postal_code,country\n"


def _import(*, line: str, source: str, agreement: str) -> dict[str, int]:
    """One company's file, through the service ``bungu accounts import-profile`` calls."""
    report = import_sourced_details(
        rows=read_source_file(io.BytesIO((HEADER + line + "\n").encode())),
        source=source,
        agreement=agreement,
    )
    return {"added": sum(report.added.values()), "left": report.left_as_customer_said}


def _files() -> list[dict[str, int]]:
    return [
        _import(line="hana@example.com,ink;paper,,,,,,", source="Ink Club", agreement="IC-2026-07"),
        _import(line="HANA@example.com,calligraphy,,,,,,", source="Brush Guild", agreement="BG-12"),
    ]


def test_p9_the_customer_sees_corrects_and_removes_information_from_other_sources(  # type: ignore[no-untyped-def]
    page, live_server, screenshot
) -> None:
    customer = CustomerFactory(email="hana@example.com", name="Hana Sato", password=PASSWORD)
    assert _files() == [{"added": 1, "left": 0}, {"added": 1, "left": 0}]
    ink = SourcedDetail.objects.get(customer=customer, source="Ink Club")
    brush = SourcedDetail.objects.get(customer=customer, source="Brush Guild")

    sign_in_with_password(page, "hana@example.com")
    expect(page).not_to_have_url(f"{live_server.url}/account/login/")

    # "My data": each value with where it came from.
    page.goto("/privacy/my-data/")
    section = page.locator("#data-accountssourceddetail")
    expect(section).to_contain_text("Ink Club")
    expect(section).to_contain_text("IC-2026-07")
    expect(section).to_contain_text("Brush Guild")
    expect(section).to_contain_text("from another source")
    screenshot(page, "1-my-data-from-other-sources")

    section.locator('a[href="/account/other-sources/"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Information from other sources")
    ink_card, brush_card = page.locator(f"#sourced-{ink.pk}"), page.locator(f"#sourced-{brush.pk}")
    expect(ink_card.locator(".sourced-value")).to_have_text("Bottled ink, Paper and notebooks")
    expect(ink_card).to_contain_text("Ink Club")
    expect(brush_card.locator(".sourced-value")).to_have_text("Brush pens and calligraphy")
    expect(brush_card).to_contain_text("Brush Guild")

    # Correct what the Ink Club said: not ink, but pencils.
    ink_card.get_by_role("link", name="Correct").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct: Interests")
    page.get_by_label("Bottled ink").uncheck()
    page.get_by_label("Pencils").check()
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator(".messages")).to_contain_text(
        "Corrected; the earlier version is in your history."
    )
    ink_card = page.locator(f"#sourced-{ink.pk}")
    expect(ink_card.locator(".sourced-value")).to_have_text("Paper and notebooks, Pencils")
    expect(ink_card).to_contain_text("Corrected by you")
    expect(ink_card).to_contain_text("Ink Club")  # still says where it first came from
    screenshot(page, "2-corrected")

    # Remove what the Brush Guild said.
    page.locator(f"#sourced-{brush.pk}").get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("Removed. We keep no copy of it.")
    expect(page.locator(f"#sourced-{brush.pk}")).to_have_count(0)
    expect(page.locator(".sourced-value")).to_have_count(1)
    screenshot(page, "3-removed")

    # The database holds the change; the earlier version is kept (P20), the removal is
    # recorded by source and kind, without the value.
    ink.refresh_from_db()
    assert ink.interests == ["paper", "pencils"]
    assert ink.corrected_at is not None
    assert not SourcedDetail.objects.filter(pk=brush.pk).exists()
    prior = PriorVersion.objects.get(customer=customer, record="accounts.SourcedDetail")
    assert (prior.object_id, prior.changed_by_id) == (ink.pk, customer.pk)
    assert prior.snapshot["interests"] == ["ink", "paper"]
    assert prior.snapshot["source"] == "Ink Club"
    removal = SourcedRemoval.objects.get(customer=customer)
    assert (removal.kind, removal.source) == (SourcedDetail.Kind.INTERESTS, "Brush Guild")
    assert "calligraphy" not in str(
        list(SourcedRemoval.objects.values()) + list(PriorVersion.objects.values())
    )

    # "My data" shows the corrected value, the earlier version and no trace of the removed one.
    page.goto("/privacy/my-data/")
    section = page.locator("#data-accountssourceddetail")
    expect(section).to_contain_text("pencils")
    expect(section).not_to_contain_text("Brush Guild")
    expect(page.locator("#data-accountspriorversion")).to_contain_text("Ink Club")
    screenshot(page, "4-my-data-after")

    # The same files again: both values stay as the customer left them.
    assert _files() == [{"added": 0, "left": 1}, {"added": 0, "left": 1}]
    page.goto("/account/other-sources/")
    expect(page.locator(".sourced-value")).to_have_text(["Paper and notebooks, Pencils"])
