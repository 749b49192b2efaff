"""The account pages: who may see them, what they cost in queries, and their markup."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bungu.accounts import services
from bungu.accounts.models import Address
from tests.accounts.factories import PASSWORD, AddressFactory, CustomerFactory
from tests.storefront.html_checks import page_problems

pytestmark = pytest.mark.django_db

PAGES = [
    "/account/",
    "/account/profile/",
    "/account/addresses/",
    "/account/addresses/new/",
    "/account/history/",
    "/account/sessions/",
    "/account/security/",
    "/account/supervised/",
]
ALLAUTH_PAGES = [
    "/account/login/",
    "/account/signup/",
    "/account/password/reset/",
]
ALLAUTH_SIGNED_IN_PAGES = [
    "/account/password/change/",
    "/account/email/",
    "/account/2fa/",
    "/account/logout/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/account/login/?next={url}"


@pytest.mark.parametrize("url", PAGES + ALLAUTH_SIGNED_IN_PAGES)
def test_every_signed_in_page_passes_the_accessibility_checks(client, url):
    # With a password of their own: allauth sends those without one to "set a password".
    client.force_login(CustomerFactory(password=PASSWORD))

    response = client.get(url)

    assert response.status_code == 200
    assert page_problems(response.content.decode()) == []


@pytest.mark.parametrize("url", ALLAUTH_PAGES)
def test_allauths_pages_use_the_shops_layout_and_pass_the_checks(client, url):
    html = client.get(url).content.decode()

    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<meta name="robots" content="noindex">' in html
    assert page_problems(html) == []


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/account/addresses/{}/"),
        ("post", "/account/addresses/{}/"),
        ("post", "/account/addresses/{}/delete/"),
        ("post", "/account/addresses/{}/default/"),
    ],
)
def test_another_customers_address_is_a_404_and_stays_unchanged(client, method, template):
    address = AddressFactory(line1="1 Secret Lane", is_default_shipping=False)
    client.force_login(CustomerFactory())

    response = getattr(client, method)(template.format(address.pk), {"line1": "changed"})

    assert response.status_code == 404
    assert "1 Secret Lane" not in response.content.decode()
    address.refresh_from_db()
    assert (address.line1, address.is_default_shipping) == ("1 Secret Lane", False)


@pytest.mark.parametrize(
    "url",
    ["/account/addresses/999999/", "/account/addresses/0/delete/", "/account/sessions/7/end/"],
)
def test_unknown_ids_are_a_404_too(client, url):
    client.force_login(CustomerFactory())

    assert client.post(url).status_code == 404


def test_anonymous_posts_change_nothing(client):
    address = AddressFactory()

    response = client.post(f"/account/addresses/{address.pk}/delete/")

    assert response.status_code == 302
    assert Address.objects.filter(pk=address.pk).exists()


def test_another_customers_history_is_never_shown(client):
    owner = CustomerFactory()
    address = AddressFactory(customer=owner, line1="1 Private Road")
    services.delete_address(address=address, actor=owner)
    client.force_login(CustomerFactory())

    assert "1 Private Road" not in client.get("/account/history/").content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/account/", 16),
        ("/account/profile/", 14),
        ("/account/addresses/", 14),
        ("/account/history/", 14),
        ("/account/security/", 14),
        ("/account/supervised/", 14),
    ],
)
def test_account_pages_need_a_bounded_number_of_queries(client, url, limit):
    """The count stays the same however many addresses and prior versions there are."""
    customer = CustomerFactory()
    client.force_login(customer)
    AddressFactory(customer=customer, is_default_shipping=True)
    _queries(client, url)  # the first visit records the session and makes the empty profile
    few = _queries(client, url)

    for address in AddressFactory.create_batch(6, customer=customer):
        services.update_address(address=address, actor=customer, values={"label": "Work"})
    services.update_profile(user=customer, actor=customer, changes={"name": "Hana"})
    # The name change made the customer's summary (the header's name) stale: it is made again
    # once, on the next page.
    _queries(client, url)
    many = _queries(client, url)

    assert many == few
    assert many <= limit


def test_the_data_map_covers_every_account_model():
    # privacy.E001 would fail the check for any field left undeclared.
    call_command("check", "--fail-level", "ERROR")
