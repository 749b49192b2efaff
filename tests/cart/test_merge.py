"""Signing in merges the anonymous cart into the account's (P6, P10); never another's cart."""

from __future__ import annotations

import pytest
from django.test import Client

from bungu.cart import services, tokens
from bungu.cart.models import Cart, CartLine
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory, anonymous_cart
from tests.catalog.factories import SKUFactory

pytestmark = pytest.mark.django_db


def _signed_in_with_cookie(customer, token: str) -> Client:
    client = Client()
    client.force_login(customer)
    client.cookies[tokens.cookie_name()] = token
    return client


def _quantities(cart: Cart) -> dict[int, int]:
    return dict(cart.lines.values_list("sku_id", "quantity"))


def test_signing_in_moves_the_anonymous_cart_into_the_account_and_drops_the_cookie() -> None:
    pen, ink = SKUFactory(stock=10), SKUFactory(stock=10)
    anonymous, token = anonymous_cart()
    CartLineFactory(cart=anonymous, sku=pen, quantity=2)
    CartLineFactory(cart=anonymous, sku=ink, quantity=1)
    customer = CustomerFactory()
    account = CartFactory(user=customer)
    CartLineFactory(cart=account, sku=pen, quantity=3)
    client = _signed_in_with_cookie(customer, token)

    response = client.get("/cart/")

    assert _quantities(account) == {pen.id: 5, ink.id: 1}
    assert not Cart.objects.filter(pk=anonymous.pk).exists()
    assert response.cookies[tokens.cookie_name()]["max-age"] == 0
    html = response.content.decode()
    assert "The items you added before signing in are now in your cart." in html
    # Once merged, the next request has nothing to merge and costs no cart look-up by cookie.
    assert tokens.cookie_name() not in client.get("/cart/").cookies


def test_a_customer_without_a_cart_gets_one_from_the_merge() -> None:
    pen = SKUFactory(stock=10)
    anonymous, token = anonymous_cart()
    CartLineFactory(cart=anonymous, sku=pen, quantity=2)
    customer = CustomerFactory()

    _signed_in_with_cookie(customer, token).get("/")

    assert _quantities(Cart.objects.get(user=customer)) == {pen.id: 2}


def test_merged_quantities_are_capped_by_stock_and_gone_items_left_out_with_messages() -> None:
    short = SKUFactory(stock=4, product__name="Kakuno", tip_size="F", ink_colour="Black")
    sold_out = SKUFactory(stock=0, product__name="Iroshizuku", tip_size="", ink_colour="")
    withdrawn = SKUFactory(is_active=False, product__name="Old pen", tip_size="", ink_colour="")
    anonymous, token = anonymous_cart()
    for sku in (short, sold_out, withdrawn):
        CartLineFactory(cart=anonymous, sku=sku, quantity=3)
    customer = CustomerFactory()
    account = CartFactory(user=customer)
    CartLineFactory(cart=account, sku=short, quantity=2)

    response = _signed_in_with_cookie(customer, token).get("/cart/")

    assert _quantities(account) == {short.id: 4}
    html = response.content.decode()
    assert "Only 4 of Kakuno (F, Black) left in stock, so your cart holds 4." in html
    assert "Iroshizuku is sold out, so it was left out." in html
    assert "Old pen is no longer sold, so it was left out." in html


def test_merge_service_reports_what_moved() -> None:
    pen = SKUFactory(stock=50)
    source = CartFactory()
    CartLineFactory(cart=source, sku=pen, quantity=7)
    into = CartFactory(user=CustomerFactory())

    result = services.merge_carts(into=into, source=source)

    assert (result.moved, result.notes) == (7, [])
    assert _quantities(into) == {pen.id: 7}


def test_an_old_cookie_of_a_merged_cart_gives_nobody_that_cart() -> None:
    pen = SKUFactory(stock=10)
    anonymous, token = anonymous_cart()
    CartLineFactory(cart=anonymous, sku=pen, quantity=2)
    first, second = CustomerFactory(), CustomerFactory()
    _signed_in_with_cookie(first, token).get("/cart/")

    # The same browser's old cookie, now under someone else's account or nobody's.
    html = _signed_in_with_cookie(second, token).get("/cart/").content.decode()
    anonymous_client = Client()
    anonymous_client.cookies[tokens.cookie_name()] = token
    anonymous_html = anonymous_client.get("/cart/").content.decode()

    assert "Your cart is empty." in html
    assert "Your cart is empty." in anonymous_html
    assert _quantities(Cart.objects.get(user=first)) == {pen.id: 2}
    assert not Cart.objects.filter(user=second).exists()


def test_an_account_cart_is_never_reachable_through_a_cookie() -> None:
    customer = CustomerFactory()
    CartLineFactory(cart=CartFactory(user=customer), sku=SKUFactory(), quantity=1)
    # Even a cookie whose hash matched would not find it: account carts hold no token hash.
    assert Cart.objects.get(user=customer).token_hash is None
    client = Client()
    client.cookies[tokens.cookie_name()] = tokens.new_token()

    assert "Your cart is empty." in client.get("/cart/").content.decode()


@pytest.mark.parametrize("cookie", ["tampered", "Zk3_-" + "q" * 38])
def test_a_signed_in_customer_with_a_bad_cookie_just_loses_the_cookie(cookie: str) -> None:
    customer = CustomerFactory()
    account = CartFactory(user=customer)
    CartLineFactory(cart=account, sku=SKUFactory(), quantity=2)

    response = _signed_in_with_cookie(customer, cookie).get("/cart/")

    assert response.status_code == 200
    assert response.cookies[tokens.cookie_name()]["max-age"] == 0
    assert CartLine.objects.get(cart=account).quantity == 2
