"""Signing in for the real-browser tests, written once.

``sign_in`` gives a browser context the session of a customer who is already signed in
(fast: the test is about what comes after). ``sign_in_with_password`` fills in the sign-in
form as a person would; the caller asserts where that led.
"""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from tests.accounts.factories import PASSWORD


def sign_in(context, user, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """Give a browser context a signed-in session, as if the customer had signed in."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def sign_in_with_password(  # type: ignore[no-untyped-def]
    page, email: str, *, password: str = PASSWORD, remember: bool = False
) -> None:
    """Send the sign-in form; opens it first unless the page already shows it."""
    if "/account/login/" not in page.url:
        page.goto("/account/login/")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password").fill(password)
    if remember:
        page.get_by_label("Keep me signed in on this computer").check()
    page.get_by_role("button", name="Sign In").click()
