"""The header badge in cached pages, the add-to-cart form, and the cart's data map (P5, P10)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bungu.cart import tokens
from bungu.catalog.caching import CACHE_HEADER
from bungu.privacy import DataCategory, Purpose, Source, data_map
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory, anonymous_cart
from tests.catalog.factories import ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db

BADGE = '<span id="cart-count" class="cart-count">{}<span class="visually-hidden"> {}</span>'


@pytest.fixture
def product():
    product = ProductFactory(slug="kakuno", skus=0)
    SKUFactory(product=product, stock=5)
    product.refresh_listing_fields()
    return product


def test_one_cached_page_shows_each_visitor_their_own_count(product) -> None:
    cart, token = anonymous_cart()
    CartLineFactory(cart=cart, sku=product.skus.get(), quantity=3)
    with_cart, without = Client(), Client()
    with_cart.cookies[tokens.cookie_name()] = token

    first = without.get("/p/kakuno/")
    second = with_cart.get("/p/kakuno/")

    assert (first[CACHE_HEADER], second[CACHE_HEADER]) == ("miss", "hit")
    assert BADGE.format(0, "items") in first.content.decode()
    assert BADGE.format(3, "items") in second.content.decode()


def test_a_signed_in_customer_sees_the_accounts_count() -> None:
    customer = CustomerFactory()
    CartLineFactory(cart=CartFactory(user=customer), sku=SKUFactory(), quantity=1)
    client = Client()
    client.force_login(customer)

    assert BADGE.format(1, "item") in client.get("/").content.decode()


def test_the_badge_costs_one_query_with_a_cookie_and_none_without(product) -> None:
    cart, token = anonymous_cart()
    CartLineFactory(cart=cart, sku=product.skus.get())
    without, with_cart = Client(), Client()
    with_cart.cookies[tokens.cookie_name()] = token
    without.get("/p/kakuno/")  # cached from here on

    with CaptureQueriesContext(connection) as bare:
        without.get("/p/kakuno/")
    with CaptureQueriesContext(connection) as counted:
        with_cart.get("/p/kakuno/")

    extra = [q["sql"] for q in counted.captured_queries[len(bare) :]]
    assert len(counted) == len(bare) + 1
    assert not any("cart_" in q["sql"] for q in bare.captured_queries)
    assert "cart_cartline" in extra[0]


def test_the_product_page_has_an_add_to_cart_form_with_a_csrf_hole_filled(product) -> None:
    html = Client().get("/p/kakuno/").content.decode()

    sku = product.skus.get()
    assert '<form class="add-to-cart" method="post" action="/cart/add/"' in html
    assert f'<input type="hidden" name="sku" value="{sku.id}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'src="/static/cart/htmx.min.js"' in html


def test_a_sold_out_variant_offers_no_add_to_cart_form() -> None:
    product = ProductFactory(slug="empty", skus=0)
    SKUFactory(product=product, stock=0)
    product.refresh_listing_fields()

    html = Client().get("/p/empty/").content.decode()

    assert "add-to-cart" not in html
    assert "Sold out" in html


def test_every_cart_field_is_declared_and_the_cookie_holds_no_personal_data() -> None:
    token_hash = data_map.get("cart.Cart.token_hash")
    assert token_hash.category == DataCategory.COOKIE_ID
    assert token_hash.purposes == frozenset({Purpose.COOKIE_STORAGE})
    for label in ["cart.CartLine.sku", "cart.CartLine.quantity", "cart.CartLine.added_at"]:
        field = data_map.get(label)
        assert (field.category, field.source) == (DataCategory.BEHAVIOR, Source.AUTOMATIC)
    assert data_map.is_declared("cart.Cart.user")
    assert data_map.is_declared("cart.CartLine.cart")


def test_declared_retention_covers_what_the_purge_keeps() -> None:
    # P5: nothing is kept longer than declared.
    assert data_map.get("cart.Cart.token_hash").retention_days == settings.BUNGU_CART_COOKIE_DAYS
    kept = max(settings.BUNGU_CART_COOKIE_DAYS, settings.BUNGU_CART_ACCOUNT_DAYS)
    assert data_map.get("cart.CartLine.sku").retention_days == kept
    assert (settings.BUNGU_CART_COOKIE_DAYS, settings.BUNGU_CART_ACCOUNT_DAYS) == (90, 365)
