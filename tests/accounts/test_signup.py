"""Sign-up, e-mail verification and sign-in through django-allauth (P3, P23)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tests.accounts.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
SIGNUP = "/account/signup/"
LOGIN = "/account/login/"


def _signup(client, **overrides):
    data = {
        "email": "hana@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "adult": "on",
        **overrides,
    }
    return client.post(SIGNUP, {k: v for k, v in data.items() if v is not None})


def _link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/account/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_sign_up_page_asks_for_the_age_statement_and_no_username(client):
    html = client.get(SIGNUP).content.decode()

    assert '<label for="id_adult">I am 18 or over' in html
    assert 'name="username"' not in html
    assert "birth" not in html.lower()


def test_sign_up_records_the_adult_statement_and_sends_a_verification_mail(client, mailoutbox):
    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/account/confirm-email/"
    user = User.objects.get(email="hana@example.com")
    assert user.adult_declared_at is not None
    assert user.password.startswith("argon2$")
    assert list(EmailAddress.objects.filter(user=user).values_list("verified", flat=True)) == [
        False
    ]
    assert [m.to for m in mailoutbox] == [["hana@example.com"]]
    [mail] = mailoutbox
    # The shop's own wording, signed with its name (not allauth's "Hello from <host>").
    assert mail.subject == "Bungu: Confirm your e-mail address to finish signing up"
    assert "asked to use this address for an account at Bungu." in mail.body
    assert "open this link within 3 days:\n\nhttp://testserver/account/confirm-email/" in mail.body
    assert "Hello from" not in mail.body
    assert "/privacy/" in mail.body


def test_sign_up_without_the_age_statement_is_refused(client, mailoutbox):
    response = _signup(client, adult=None)

    assert response.status_code == 200
    assert "Please confirm that you are 18 or over." in response.content.decode()
    assert User.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": "a" * 250 + "@example.com"}, "at most 254 characters"),
        ({"password2": "another passphrase"}, "You must type the same password each time."),
        ({"password1": "short", "password2": "short"}, "This password is too short."),
    ],
)
def test_bad_sign_up_input_gets_a_clear_message(client, overrides, message):
    response = _signup(client, **overrides)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 0


def test_an_unverified_customer_cannot_sign_in_until_the_link_is_followed(client, mailoutbox):
    _signup(client)
    client.logout()

    refused = client.post(LOGIN, {"login": "hana@example.com", "password": PASSWORD})
    assert refused.status_code == 302
    assert refused["Location"] == "/account/confirm-email/"
    assert "_auth_user_id" not in client.session

    link = _link(mailoutbox[-1])
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="hana@example.com").verified is True

    signed_in = client.post(LOGIN, {"login": "hana@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/account/"
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_sign_in_offers_a_session_that_ends_with_the_browser(client):
    """P3: the public-computer choice. Unticked, the session cookie lasts until the browser
    closes; ticked, it lasts the configured age."""
    html = client.get(LOGIN).content.decode()
    assert "Keep me signed in on this computer" in html

    customer = CustomerFactory(password=PASSWORD)
    client.post(LOGIN, {"login": customer.email, "password": PASSWORD})
    assert client.session.get_expire_at_browser_close() is True

    client.logout()
    client.post(LOGIN, {"login": customer.email, "password": PASSWORD, "remember": "on"})
    assert client.session.get_expire_at_browser_close() is False


def test_sign_in_is_by_email_in_any_case(client):
    customer = CustomerFactory(email="ken@example.com", password=PASSWORD)

    response = client.post(LOGIN, {"login": "KEN@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(customer.pk)


def test_repeated_failed_sign_ins_are_rate_limited(client):
    """Ten wrong passwords for an account in 15 minutes; then even the right one is refused,
    from a browser that never signed in to it (tests/accounts/test_lockout.py: the owner's)."""
    customer = CustomerFactory(password=PASSWORD)
    for _ in range(10):
        response = client.post(LOGIN, {"login": customer.email, "password": "wrong password"})
        assert response.status_code == 200

    blocked = client.post(LOGIN, {"login": customer.email, "password": PASSWORD})

    assert blocked.status_code == 200
    assert "Too many failed login attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_that_ends_the_session_on_the_server(client):
    customer = CustomerFactory()
    client.force_login(customer)
    key = client.session.session_key

    assert client.get("/account/logout/").status_code == 200
    assert client.session.session_key == key

    response = client.post("/account/logout/")

    assert response.status_code == 302
    from django.contrib.sessions.models import Session  # noqa: PLC0415

    assert not Session.objects.filter(session_key=key).exists()


def test_password_reset_sends_a_link_by_email(client, mailoutbox):
    customer = CustomerFactory()

    response = client.post("/account/password/reset/", {"email": customer.email})

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[customer.email]]
    assert "/account/password/reset/key/" in mailoutbox[0].body
    assert mailoutbox[0].subject == "Bungu: Choosing a new password"
    assert "If you did not ask, ignore this e-mail" in mailoutbox[0].body


def test_a_reset_for_an_unknown_address_says_so_without_a_link(client, mailoutbox):
    response = client.post("/account/password/reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.subject == "Bungu: No account uses this address"
    assert "no account uses this address" in mail.body
    assert "/account/password/reset/key/" not in mail.body


def test_the_header_offers_sign_in_or_the_account_and_a_sign_out_form(client):
    assert '<a href="/account/login/">Sign in</a>' in client.get("/").content.decode()

    client.force_login(CustomerFactory())
    html = client.get("/").content.decode()

    assert '<a href="/account/">Your account</a>' in html
    assert '<form method="post" action="/account/logout/">' in html
