"""Sign-in limits: at most ten wrong passwords in 15 minutes per address and per account,
and a stranger's wrong guesses never lock the owner out (a browser that signed in before has
its own allowance: a device cookie, as OWASP describes)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bungu.privacy import cookie_registry

from .factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
REFUSED = "Too many failed login attempts"


def sign_in(client: Client, email: str, password: str, *, ip: str) -> bool:
    response = client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)
    return response.status_code == 302 and "_auth_user_id" in client.session


def guess(client: Client, email: str, *, ip: str, times: int) -> list[bool]:
    """Wrong passwords; for each, whether it was refused for too many attempts."""
    return [
        REFUSED
        in client.post(
            LOGIN, {"login": email, "password": f"wrong {n}"}, REMOTE_ADDR=ip
        ).content.decode()
        for n in range(times)
    ]


def test_the_owners_browser_signs_in_after_a_stranger_spent_the_accounts_allowance() -> None:
    customer = CustomerFactory(password=PASSWORD)
    owner = Client()
    assert sign_in(owner, customer.email, PASSWORD, ip="192.0.2.1")
    owner.post(reverse("account_logout"))
    assert settings.BUNGU_DEVICE_COOKIE_NAME in owner.cookies

    # A stranger, from other addresses, spends the account's allowance.
    stranger = Client()
    guess(stranger, customer.email, ip="198.51.100.7", times=6)
    guess(stranger, customer.email, ip="198.51.100.8", times=6)
    assert not sign_in(Client(), customer.email, PASSWORD, ip="203.0.113.9")

    # The owner's browser, which signed in before, is not locked out.
    assert sign_in(owner, customer.email, PASSWORD, ip="192.0.2.1")


def test_without_the_device_cookie_the_account_allows_ten_wrong_passwords() -> None:
    customer = CustomerFactory(password=PASSWORD)
    stranger = Client()

    first = guess(stranger, customer.email, ip="198.51.100.7", times=5)
    second = guess(stranger, customer.email, ip="198.51.100.8", times=5)
    eleventh = stranger.post(
        LOGIN, {"login": customer.email, "password": "wrong"}, REMOTE_ADDR="198.51.100.9"
    )

    assert first + second == [False] * 10
    assert REFUSED in eleventh.content.decode()


def test_one_address_gets_ten_wrong_passwords_whatever_the_accounts() -> None:
    client = Client()
    emails = [CustomerFactory(password=PASSWORD).email for _ in range(11)]

    for email in emails[:10]:
        assert guess(client, email, ip="198.51.100.20", times=1) == [False]
    refused = client.post(
        LOGIN, {"login": emails[10], "password": "wrong"}, REMOTE_ADDR="198.51.100.20"
    )

    assert REFUSED in refused.content.decode()


def test_a_browser_that_signed_in_before_still_gets_only_ten_wrong_passwords() -> None:
    customer = CustomerFactory(password=PASSWORD)
    owner = Client()
    assert sign_in(owner, customer.email, PASSWORD, ip="192.0.2.1")
    owner.post(reverse("account_logout"))

    assert guess(owner, customer.email, ip="192.0.2.1", times=10) == [False] * 10
    eleventh = owner.post(
        LOGIN, {"login": customer.email, "password": "wrong"}, REMOTE_ADDR="192.0.2.2"
    )

    assert REFUSED in eleventh.content.decode()


def test_the_device_cookie_is_for_one_account_only() -> None:
    customer, other = CustomerFactory(password=PASSWORD), CustomerFactory(password=PASSWORD)
    browser = Client()
    assert sign_in(browser, customer.email, PASSWORD, ip="192.0.2.1")
    browser.post(reverse("account_logout"))
    guess(Client(), other.email, ip="198.51.100.7", times=10)

    # The cookie names the first account; for the other, this browser is a stranger.
    assert not sign_in(browser, other.email, PASSWORD, ip="192.0.2.3")


def test_a_forged_device_cookie_counts_as_none() -> None:
    customer = CustomerFactory(password=PASSWORD)
    guess(Client(), customer.email, ip="198.51.100.7", times=10)
    forged = Client()
    forged.cookies[settings.BUNGU_DEVICE_COOKIE_NAME] = "eyJhIjoiMSJ9:forged:signature"

    assert not sign_in(forged, customer.email, PASSWORD, ip="192.0.2.4")


def test_the_device_cookie_is_declared_and_holds_no_address() -> None:
    customer = CustomerFactory(password=PASSWORD)
    browser = Client()
    assert sign_in(browser, customer.email, PASSWORD, ip="192.0.2.1")

    cookie = browser.cookies[settings.BUNGU_DEVICE_COOKIE_NAME]
    assert cookie["httponly"]
    assert customer.email not in cookie.value
    assert customer.email.split("@")[0] not in cookie.value
    assert cookie_registry.get(settings.BUNGU_DEVICE_COOKIE_NAME).essential
