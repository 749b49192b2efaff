"""The cart pages: add, change, remove without JavaScript; htmx fragments; bad input (P6, P10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bungu.cart import tokens
from bungu.cart.models import Cart, CartLine
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory, anonymous_cart
from tests.catalog.factories import ProductFactory, SKUFactory
from tests.storefront.html_checks import page_problems

# Transactional: the cart cookie goes out only once the change commits (on_commit).
pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def pen():
    product = ProductFactory(name="Kakuno", slug="kakuno", skus=0)
    sku = SKUFactory(product=product, tip_size="F", ink_colour="Black", price="12.50", stock=5)
    product.refresh_listing_fields()
    return sku


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _snapshot() -> list[tuple[int, int, int]]:
    return list(CartLine.objects.order_by("id").values_list("cart_id", "sku_id", "quantity"))


def test_an_empty_cart_page_makes_no_cart_and_sets_no_cookie(client: Client) -> None:
    response = client.get("/cart/")

    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()
    assert tokens.cookie_name() not in response.cookies
    assert Cart.objects.count() == 0
    assert "no-cache" in response["Cache-Control"]


def test_adding_without_javascript_redirects_to_the_cart_with_a_message(client, pen) -> None:
    response = client.post("/cart/add/", {"sku": pen.id, "quantity": "2"})

    assert response.status_code == 302
    assert response["Location"] == "/cart/?added=1"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Added 2 of Kakuno (F, Black) to your cart." in html
    assert "Kakuno (F, Black)</a>" in html
    assert "$25.00" in html
    assert "Your cart needs cookies" not in html
    assert 'href="/checkout/">Check out</a>' in html


def test_the_cookie_is_an_opaque_token_whose_hash_alone_is_stored(client, pen) -> None:
    response = client.post("/cart/add/", {"sku": pen.id, "quantity": "1"})

    cookie = response.cookies[tokens.cookie_name()]
    assert len(cookie.value) == 43
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] == ""
    assert cookie["path"] == "/"
    assert cookie["max-age"] == 90 * 24 * 3600
    cart = Cart.objects.get()
    assert cart.token_hash == tokens.hash_token(cookie.value)
    assert cookie.value not in str(list(Cart.objects.values_list()))


def test_the_cookie_is_secure_when_the_session_cookie_is(client, settings, pen) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.BUNGU_CART_COOKIE_DAYS = 30

    response = client.post("/cart/add/", {"sku": pen.id, "quantity": "1"})

    cookie = response.cookies[tokens.cookie_name()]
    assert cookie["secure"] is True
    assert cookie["max-age"] == 30 * 24 * 3600


def test_the_same_cookie_finds_the_same_cart_and_its_lifetime_is_renewed(client, pen) -> None:
    client.post("/cart/add/", {"sku": pen.id, "quantity": "1"})
    token = client.cookies[tokens.cookie_name()].value

    again = client.post("/cart/add/", {"sku": pen.id, "quantity": "1"})

    assert again.cookies[tokens.cookie_name()].value == token
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [2]
    assert Cart.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "-1"}, "Enter a quantity from 1 to 99."),
        ({"quantity": "0"}, "Enter a quantity from 1 to 99."),
        ({"quantity": str(10**12)}, "Enter a quantity from 1 to 99."),
        ({"quantity": "abc"}, "Enter the quantity as a whole number."),
        ({"quantity": "1.5"}, "Enter the quantity as a whole number."),
        ({"quantity": ""}, "Enter a quantity."),
        ({"sku": "abc"}, "That item is not sold here."),
        ({"sku": str(10**30)}, "That item is not sold here."),
        ({"sku": "999999"}, "That item is not sold here."),
    ],
)
def test_bad_input_to_add_gets_a_clear_message_and_changes_nothing(
    client, pen, data: dict[str, str], message: str
) -> None:
    response = client.post("/cart/add/", {"sku": str(pen.id), "quantity": "1", **data})

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert _messages(response) == [f"Nothing was added: {message}"]
    assert Cart.objects.count() == 0
    assert tokens.cookie_name() not in response.cookies


def test_sold_out_and_withdrawn_items_are_refused_with_their_reason(client, pen) -> None:
    sold_out = SKUFactory(stock=0)
    withdrawn = SKUFactory(is_active=False)

    first = client.post("/cart/add/", {"sku": sold_out.id, "quantity": "1"})
    second = client.post("/cart/add/", {"sku": withdrawn.id, "quantity": "1"})

    assert _messages(first) == [
        f"Nothing was added: {sold_out.product.name} (0.5 mm, Black) is sold out."
    ]
    assert _messages(second)[-1].endswith("is no longer sold.")
    assert Cart.objects.count() == 0


def test_more_than_in_stock_is_capped_with_a_warning(client, pen) -> None:
    response = client.post("/cart/add/", {"sku": pen.id, "quantity": "9"})

    assert _messages(response) == [
        "Only 5 of Kakuno (F, Black) left in stock, so your cart holds 5."
    ]
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [5]


def test_adding_with_htmx_answers_with_the_message_and_the_new_badge(client, pen) -> None:
    response = client.post("/cart/add/", {"sku": pen.id, "quantity": "2"}, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="message message-success">Added 2 of Kakuno (F, Black) to your cart.' in html
    assert (
        '<span id="cart-count" class="cart-count" hx-swap-oob="true">'
        '2<span class="visually-hidden"> items</span></span>'
    ) in html
    assert "<html" not in html
    assert tokens.cookie_name() in response.cookies
    # No flash message is left behind for the next page.
    assert _messages(response) == []


def test_a_refused_htmx_add_is_a_422_fragment_without_a_badge(client, pen) -> None:
    response = client.post("/cart/add/", {"sku": pen.id, "quantity": "abc"}, headers=HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was added: Enter the quantity as a whole number." in html
    assert "cart-count" not in html
    assert Cart.objects.count() == 0


def test_changing_and_removing_lines(client, pen) -> None:
    cart, token = anonymous_cart()
    line = CartLineFactory(cart=cart, sku=pen, quantity=1)
    client.cookies[tokens.cookie_name()] = token

    changed = client.post(f"/cart/lines/{line.id}/", {"quantity": "4"})
    assert (changed.status_code, changed["Location"]) == (302, "/cart/")
    assert _messages(changed) == ["Your cart now holds 4 of Kakuno (F, Black)."]
    assert _snapshot() == [(cart.id, pen.id, 4)]

    refused = client.post(f"/cart/lines/{line.id}/", {"quantity": "-1"})
    assert _messages(refused)[-1] == "Nothing was changed: Enter a quantity from 0 to 99."
    assert _snapshot() == [(cart.id, pen.id, 4)]

    removed = client.post(f"/cart/lines/{line.id}/remove/")
    assert _messages(removed)[-1] == "Removed Kakuno (F, Black) from your cart."
    assert _snapshot() == []


@pytest.mark.parametrize("url", ["/cart/lines/{id}/", "/cart/lines/{id}/remove/"])
def test_nobody_else_can_change_or_remove_a_line(pen, url: str) -> None:
    anonymous_line = CartLineFactory(cart=anonymous_cart()[0], sku=pen, quantity=2)
    account_line = CartLineFactory(cart=CartFactory(user=CustomerFactory()), sku=pen, quantity=3)
    before = _snapshot()
    with_another_cart = Client()
    someone, token = anonymous_cart()
    with_another_cart.cookies[tokens.cookie_name()] = token
    second_customer = CustomerFactory()
    signed_in = Client()
    signed_in.force_login(second_customer)

    for visitor in [Client(), with_another_cart, signed_in]:
        for line in (anonymous_line, account_line):
            response = visitor.post(url.format(id=line.id), {"quantity": "1"})
            assert response.status_code == 404
    assert _snapshot() == before
    assert someone.lines.count() == 0
    # Nothing was made for the intruders either.
    assert not Cart.objects.filter(user=second_customer).exists()
    assert Cart.objects.count() == 3


def test_the_cart_page_shows_only_the_visitors_own_cart(client, pen) -> None:
    theirs, _ = anonymous_cart()
    CartLineFactory(cart=theirs, sku=pen, quantity=3)
    CartLineFactory(cart=CartFactory(user=CustomerFactory()), sku=pen, quantity=4)
    signed_in = Client()
    signed_in.force_login(CustomerFactory())

    for visitor in [client, signed_in]:
        html = visitor.get("/cart/").content.decode()
        assert "Your cart is empty." in html
        assert "Kakuno" not in html


@pytest.mark.parametrize(
    "cookie", ["tampered", "x" * 43, "A" * 4000, "<script>", "Zk3_-" + "q" * 38]
)
def test_a_tampered_or_unknown_cookie_gives_a_fresh_empty_cart(client, pen, cookie: str) -> None:
    other, _ = anonymous_cart()
    CartLineFactory(cart=other, sku=pen)
    client.cookies[tokens.cookie_name()] = cookie

    page = client.get("/cart/")
    assert page.status_code == 200
    assert "Your cart is empty." in page.content.decode()
    assert page.cookies[tokens.cookie_name()]["max-age"] == 0

    client.cookies[tokens.cookie_name()] = cookie
    added = client.post("/cart/add/", {"sku": pen.id, "quantity": "1"})
    new_token = added.cookies[tokens.cookie_name()].value
    assert new_token != cookie
    assert Cart.objects.get(token_hash=tokens.hash_token(new_token)).lines.count() == 1
    assert other.lines.count() == 1


def test_an_expired_cart_is_not_found_again(client, pen) -> None:
    cart, token = anonymous_cart()
    CartLineFactory(cart=cart, sku=pen)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=91))
    client.cookies[tokens.cookie_name()] = token

    assert "Your cart is empty." in client.get("/cart/").content.decode()


def test_the_cart_page_explains_when_the_cookie_did_not_come_back(client) -> None:
    html = client.get("/cart/?added=1").content.decode()

    assert "Your cart needs cookies" in html
    assert "Browsing and searching work without cookies." in html


def test_the_cart_page_always_says_what_the_cookie_is_for(client) -> None:
    html = client.get("/cart/").content.decode()

    assert "found again through a cookie that holds only a random number" in html
    assert "Your cart needs cookies" not in html


def test_a_form_sent_without_cookies_gets_a_page_that_says_so(pen) -> None:
    cookieless = Client(enforce_csrf_checks=True)

    response = cookieless.post("/cart/add/", {"sku": pen.id, "quantity": "1"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>This needs cookies</h1>" in html
    assert "Browsing, searching and reading product pages work without cookies." in html
    assert Cart.objects.count() == 0


@pytest.mark.parametrize("url", ["/cart/add/", "/cart/lines/1/", "/cart/lines/1/remove/"])
def test_changes_need_a_post(client, url: str) -> None:
    assert client.get(url).status_code == 405


def _queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm: the category menu and the catalogue generation are cached now
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def test_the_cart_page_costs_the_same_queries_for_one_line_or_many(client, settings, pen) -> None:
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    cart, token = anonymous_cart()
    CartLineFactory(cart=cart, sku=pen)
    client.cookies[tokens.cookie_name()] = token

    with_one = _queries_for(client, "/cart/")
    for _ in range(15):
        CartLineFactory(cart=cart, sku=SKUFactory())
    with_sixteen = _queries_for(client, "/cart/")

    # The cart, then its lines with their SKUs and products; the badge reuses the count.
    assert with_one == with_sixteen == 2
    assert client.get("/cart/").content.decode().count('class="cart-line ') == 16


def test_a_signed_in_cart_page_costs_a_fixed_number_of_queries(client, settings) -> None:
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    customer = CustomerFactory()
    cart = CartFactory(user=customer)
    CartLineFactory(cart=cart, sku=SKUFactory())
    client.force_login(customer)

    with_one = _queries_for(client, "/cart/")
    for _ in range(15):
        CartLineFactory(cart=cart, sku=SKUFactory())
    with_sixteen = _queries_for(client, "/cart/")

    assert with_one == with_sixteen
    # Session and user (plus what account middleware does per request), cart, lines.
    assert with_sixteen <= 10


def test_the_cart_page_with_lines_passes_the_accessibility_checks(client, pen) -> None:
    cart, token = anonymous_cart()
    CartLineFactory(cart=cart, sku=pen)
    CartLineFactory(cart=cart, sku=SKUFactory(is_active=False))
    client.cookies[tokens.cookie_name()] = token

    for url in ["/cart/", "/cart/?added=1"]:
        assert page_problems(client.get(url).content.decode()) == []
    assert page_problems(Client(enforce_csrf_checks=True).post("/cart/add/").content.decode()) == []
