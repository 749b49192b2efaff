"""The positive control of the axe-core check the checkout tests rely on: planted violations
are reported, on a page of its own and on the processor's page under its strict
Content-Security-Policy (no scripts at all), where the check must still run."""

from __future__ import annotations

from tests.e2e.accessibility import assert_accessible, blocking_violations

INACCESSIBLE = """<!doctype html><html lang="en"><head><title>Planted</title></head><body>
<main><h1>Pay</h1>
<form><input type="text" name="number"><button type="submit"></button></form>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main></body></html>"""


def test_planted_violations_are_reported(browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.set_content(INACCESSIBLE)
    found = {violation["id"] for violation in blocking_violations(page)}
    assert {"label", "image-alt", "button-name"} <= found
    context.close()


def test_the_check_runs_on_the_processors_page_despite_its_policy(browser, card_processor) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(f"{card_processor.base_url}/test-cards")
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert_accessible(page, "processor's test cards")

    page.evaluate(
        """() => {
            const input = document.createElement("input");
            input.type = "text";
            document.querySelector("main").append(input);
        }"""
    )
    assert [v["id"] for v in blocking_violations(page)] == ["label"]
    context.close()
