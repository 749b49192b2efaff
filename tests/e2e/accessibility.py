"""axe-core in the real browser, for the real-browser tests.

``assert_accessible(page, "what")`` runs axe-core (bundled by axe-playwright-python) on the
page as it is now and fails on any serious or critical violation, listing each rule, its
help text and the elements it found. ``tests/e2e/test_checkout_accessibility.py`` shows it
catching a planted violation (the positive control).
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING = frozenset({"serious", "critical"})
_AXE = Axe()


def blocking_violations(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page as it is now."""
    results = _AXE.run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:  # type: ignore[no-untyped-def]
    """Fail on any serious or critical axe-core violation on the page."""
    violations = blocking_violations(page)
    assert not violations, f"{what} ({page.url}):\n{describe(violations)}"
