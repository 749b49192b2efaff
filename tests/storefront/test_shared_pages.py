"""Signed-in customers share the cached catalogue pages, and never see each other's parts.

Two customers, Aiko and Ben, each with their own wish list, cart and review state; Aiko asks
first (the page is made and cached), Ben gets the same cached page, filled with his own holes.
The positive control plants a cached view that reads the signed-in customer behind the page
cache's back: the same check then finds Aiko's address on Ben's page.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import include, path

from bungu.catalog.caching import CACHE_HEADER, cache_catalog_page, page_cache_key
from bungu.catalog.models import CatalogState
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory
from tests.catalog.factories import ProductFactory
from tests.reviews.factories import ReviewFactory
from tests.wishlists.factories import WishListFactory

pytestmark = pytest.mark.django_db

PRODUCT = "/p/juice-up/"


@pytest.fixture
def two_customers(settings):
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    product = ProductFactory(slug="juice-up", name="Juice Up")
    aiko = CustomerFactory(email="aiko@example.com", name="Aiko Tanaka")
    ben = CustomerFactory(email="ben@example.com", name="Ben Ito")
    WishListFactory(owner=aiko, name="Aiko birthday list")
    WishListFactory(owner=ben, name="Ben office list")
    ReviewFactory(author=aiko, product=product, body="Aiko's draft review")
    sku = product.skus.get()
    CartLineFactory(cart=CartFactory(user=aiko), sku=sku, quantity=3)
    return aiko, ben


def _signed_in(customer) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(customer)
    return client


def _cart_count(html: str) -> str:
    found = re.search(r'<span id="cart-count" class="cart-count">(\d+)<', html)
    return found.group(1) if found else ""


def _leaks_of_aiko(html: str) -> list[str]:
    return [
        clue
        for clue in ("aiko@example.com", "Aiko Tanaka", "Aiko birthday list", "You reviewed")
        if clue in html
    ]


def test_a_second_customer_gets_the_first_ones_cached_page_with_his_own_parts(two_customers):
    aiko, ben = two_customers
    as_aiko, as_ben = _signed_in(aiko), _signed_in(ben)
    aiko_page = as_aiko.get(PRODUCT)
    # Aiko has a pending message when Ben asks.
    ben_page = as_ben.get(PRODUCT)

    assert (aiko_page[CACHE_HEADER], ben_page[CACHE_HEADER]) == ("miss", "hit")
    aiko_html, ben_html = aiko_page.content.decode(), ben_page.content.decode()
    # Aiko's own parts on her page...
    assert "Aiko birthday list" in aiko_html
    assert "You reviewed this product" in aiko_html
    assert _cart_count(aiko_html) == "3"
    assert "Your account" in aiko_html
    # ...and none of them on Ben's, which has his own.
    assert _leaks_of_aiko(ben_html) == []
    assert "Ben office list" in ben_html
    assert "Write a review" in ben_html
    assert _cart_count(ben_html) == "0"
    assert "Your account" in ben_html
    assert "Report this review" not in ben_html  # Aiko's review is not published


def test_the_cached_copy_is_an_anonymous_page_without_tokens_or_cookies(two_customers):
    aiko, _ben = two_customers
    _signed_in(aiko).get(PRODUCT)

    request = RequestFactory().get(PRODUCT)
    entry = cache.get(page_cache_key(request, CatalogState.current()))
    status, content_type, _etag, content, _versions = entry
    html = content.decode()

    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert _leaks_of_aiko(html) == []
    assert "csrfmiddlewaretoken" not in html
    assert "Your account" not in html
    assert "<!--bungu-hole:account-menu-->" in html


def test_a_flash_message_reaches_its_customer_only(two_customers, settings):
    aiko, ben = two_customers
    as_aiko, as_ben = _signed_in(aiko), _signed_in(ben)
    sku = ProductFactory(slug="another").skus.get()
    as_aiko.get(PRODUCT)

    # Saving to a wish list leaves a message for the next page.
    as_aiko.post("/wishlists/save/", {"sku": sku.id, "note": ""})
    ben_page = as_ben.get(PRODUCT)
    aiko_page = as_aiko.get(PRODUCT)

    assert aiko_page[CACHE_HEADER] == "hit"
    assert 'class="message message-success"' in aiko_page.content.decode()
    assert "message-success" not in ben_page.content.decode()
    # Shown once.
    assert "message-success" not in as_aiko.get(PRODUCT).content.decode()


def test_a_shared_page_is_private_varies_on_cookie_and_sets_no_other_cookie(two_customers):
    aiko, ben = two_customers
    _signed_in(aiko).get(PRODUCT)
    as_ben = _signed_in(ben)
    ben_session = as_ben.cookies["sessionid"].value

    response = as_ben.get(PRODUCT)

    assert response[CACHE_HEADER] == "hit"
    assert "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    # No session cookie is handed out from the cache: at most Ben's own CSRF cookie.
    assert set(response.cookies) <= {"csrftoken"}
    assert as_ben.cookies["sessionid"].value == ben_session


@pytest.mark.parametrize("path", ["/", "/c/{category}/", "/brands/{brand}/", "/search/?q=juice"])
def test_signed_in_customers_share_the_listing_pages_too(two_customers, path):
    aiko, ben = two_customers
    product = ProductFactory._meta.model.objects.get(slug="juice-up")
    url = path.format(category=product.category.path, brand=product.brand.slug)

    first = _signed_in(aiko).get(url)
    second = _signed_in(ben).get(url)
    anonymous = Client().get(url)

    assert (first[CACHE_HEADER], second[CACHE_HEADER], anonymous[CACHE_HEADER]) == (
        "miss",
        "hit",
        "hit",
    )
    assert _leaks_of_aiko(second.content.decode()) == []
    assert "Sign in" in anonymous.content.decode()
    assert "Your account" not in anonymous.content.decode()


def test_a_signed_in_hit_costs_the_same_few_queries_whatever_the_customer_holds(
    two_customers, django_assert_num_queries
):
    aiko, ben = two_customers
    for _ in range(5):
        WishListFactory(owner=aiko)
    counts = []
    for customer in (aiko, ben):
        client = _signed_in(customer)
        client.get(PRODUCT)
        with django_assert_num_queries(2) as captured:
            response = client.get(PRODUCT)
        assert response[CACHE_HEADER] == "hit"
        counts.append(len(captured.captured_queries))
    # The customer; the catalogue generation (a worker outside a test transaction remembers
    # it). The session comes from the cache (cached_db); the cart badge, their wish lists and
    # their review from their summary in the cache, made by the first request. The session's
    # last-seen record was written by the first request and is not again within the minute.
    assert counts == [2, 2]


# ---------------------------------------------------------------- positive control


@cache_catalog_page
def leaky_page(request: HttpRequest) -> HttpResponse:
    # Planted: reads the customer from the session itself, behind the page cache's back.
    return HttpResponse(f"<p>Signed in as {get_user(request).email}</p>")


urlpatterns = [path("leaky/", leaky_page), path("", include("bungu.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_positive_control_a_page_baking_in_the_customer_is_caught(two_customers):
    aiko, ben = two_customers
    _signed_in(aiko).get("/leaky/")

    ben_page = _signed_in(ben).get("/leaky/")

    assert ben_page[CACHE_HEADER] == "hit"
    assert _leaks_of_aiko(ben_page.content.decode()) == ["aiko@example.com"]
