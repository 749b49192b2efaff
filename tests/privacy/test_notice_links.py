"""P24: the notice is linked beside every form that collects personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

import bungu
from tests.accounts.factories import AddressFactory, CustomerFactory

NOTICE_LINK = 'href="/privacy/"'

# Every template whose form asks a customer for information about themselves.
COLLECTING_TEMPLATES = [
    "accounts/templates/accounts/profile.html",
    "accounts/templates/accounts/address_form.html",
    "checkout/templates/checkout/address.html",
    "accounts/templates/accounts/join_supervised.html",
    "accounts/templates/accounts/supervised.html",
    "mail/templates/mail/preferences.html",
    "privacy/templates/privacy/requests/new.html",
    "reviews/templates/reviews/_form.html",
    "reviews/templates/reviews/report.html",
    "wishlists/templates/wishlists/_save_form.html",
    "wishlists/templates/wishlists/index.html",
    "wishlists/templates/wishlists/note.html",
    # Sign-up, sign-in, password and e-mail pages of django-allauth share this layout.
    "accounts/templates/allauth/layouts/base.html",
]


@pytest.mark.parametrize("template", COLLECTING_TEMPLATES)
def test_p24_each_collecting_template_links_the_notice(template: str) -> None:
    text = (Path(bungu.__file__).parent / template).read_text()

    assert '{% include "privacy/_notice_link.html" %}' in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["account_signup", "account_login", "accounts:profile", "privacy:request_new"]
)
def test_p24_the_rendered_form_pages_carry_the_link(client, url_name: str) -> None:
    if url_name.startswith(("accounts:", "privacy:")):
        client.force_login(CustomerFactory())

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert NOTICE_LINK in response.content.decode()


@pytest.mark.django_db
def test_p24_the_address_form_carries_the_link(client) -> None:
    address = AddressFactory()
    client.force_login(address.customer)

    response = client.get(reverse("accounts:edit_address", args=[address.pk]))

    assert response.status_code == 200
    assert NOTICE_LINK in response.content.decode()


@pytest.mark.django_db
def test_catalogue_pages_do_not_carry_the_form_note(client) -> None:
    # A positive control that the check above can fail: the home page has no such form.
    assert "privacy-notice-link" not in client.get("/").content.decode()
