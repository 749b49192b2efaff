"""Driving a page with the keyboard alone: Tab to an element, then type, Space or Enter.

``tab_to`` presses Tab (never clicks, never focuses by script) until the element has the
focus, so a test built on it also proves the element is reachable by keyboard.
"""

from __future__ import annotations

TAB_LIMIT = 80


def has_focus(locator) -> bool:  # type: ignore[no-untyped-def]
    return bool(locator.evaluate("element => element === document.activeElement"))


def tab_to(page, locator, *, limit: int = TAB_LIMIT) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until ``locator`` has the focus; fails if it is not reached."""
    locator.wait_for()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if has_focus(locator):
            return
    raise AssertionError(f"{locator} was not reached with {limit} presses of Tab on {page.url}")


def tab_and_type(page, locator, text: str) -> None:  # type: ignore[no-untyped-def]
    tab_to(page, locator)
    page.keyboard.type(text)


def tab_and_press(page, locator, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    tab_to(page, locator)
    page.keyboard.press(key)
