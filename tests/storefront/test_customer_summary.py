"""A signed-in customer's summary (``bungu.accounts.summary``) on cached pages.

Each change a customer can make to what the holes show (cart, wish lists, reviews, name)
shows on the very next page, which is a cache hit; two customers never see each other's
summary; a signed-out or invalidated session shows as signed out; a warm hit runs a fixed
number of queries. The positive controls change the data behind the services' back (a
factory, a planted summary) and find the page stale: the checks here would catch a service
that forgot to say its change.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from bungu import privacy
from bungu.accounts import services as accounts, sessions
from bungu.accounts.summary import CustomerSummary, read_summary, store_summary
from bungu.cart import services as cart
from bungu.cart.models import Cart
from bungu.catalog.caching import CACHE_HEADER
from bungu.reviews import services as reviews
from bungu.reviews.services import ReviewDraft
from bungu.storefront.summary import build_summary
from bungu.wishlists import services as wishlists
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory
from tests.catalog.factories import ProductFactory, SKUFactory
from tests.reviews.factories import ReviewFactory
from tests.wishlists.factories import WishListFactory, WishListItemFactory

pytestmark = pytest.mark.django_db

PRODUCT = "/p/juice-up/"
SAVED = "This item is on your wish list."


@pytest.fixture
def shop(settings):
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    product = ProductFactory(slug="juice-up", name="Juice Up")
    return product, product.skus.get()


def _signed_in(customer) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(customer)
    return client


def _page(client: Client) -> str:
    response = client.get(PRODUCT)
    assert response.status_code == 200
    return response.content.decode()


def _hit(client: Client) -> str:
    response = client.get(PRODUCT)
    assert response[CACHE_HEADER] == "hit"
    return response.content.decode()


def _cart_count(html: str) -> int:
    found = re.search(r'<span id="cart-count" class="cart-count">(\d+)<', html)
    assert found is not None
    return int(found.group(1))


def _account_name(html: str) -> str | None:
    found = re.search(r'<span class="account-name">([^<]*)</span>', html)
    return found.group(1) if found else None


def _review_state(html: str) -> str | None:
    found = re.search(r'<span class="review-status">([^<]*)</span>', html)
    return found.group(1) if found else None


# ---------------------------------------------------------------- each change shows at once


def test_cart_changes_show_on_the_next_cached_page(shop):
    _, sku = shop
    customer = CustomerFactory()
    client = _signed_in(customer)
    assert _cart_count(_page(client)) == 0
    customer_cart = Cart.objects.create(user=customer)

    cart.add_item(customer_cart, sku_id=sku.pk, quantity=2)
    assert _cart_count(_hit(client)) == 2

    line = customer_cart.lines.get()
    cart.set_quantity(customer_cart, line_id=line.pk, quantity=5)
    assert _cart_count(_hit(client)) == 5

    cart.remove_line(customer_cart, line_id=line.pk)
    assert _cart_count(_hit(client)) == 0


def test_an_order_taking_the_cart_empties_the_badge_at_once(shop):
    _, sku = shop
    customer = CustomerFactory()
    customer_cart = Cart.objects.create(user=customer)
    cart.add_item(customer_cart, sku_id=sku.pk, quantity=3)
    client = _signed_in(customer)
    assert _cart_count(_page(client)) == 3

    # What checkout calls once the order is placed.
    cart.remove_bought_items(cart_id=customer_cart.pk, bought={sku.pk: 3})

    assert _cart_count(_hit(client)) == 0


def test_cart_added_through_the_page_shows_on_the_next_page(shop):
    _, sku = shop
    client = _signed_in(CustomerFactory())
    assert _cart_count(_page(client)) == 0

    client.post("/cart/add/", {"sku": sku.pk, "quantity": 2})

    assert _cart_count(_hit(client)) == 2


def test_wish_list_items_show_on_the_next_cached_page(shop):
    _, sku = shop
    customer = CustomerFactory()
    client = _signed_in(customer)
    assert SAVED not in _page(client)

    item = wishlists.save_item(owner_id=customer.pk, sku_id=sku.pk, note="")
    html = _hit(client)
    assert SAVED in html
    assert "My wish list" in html or "wish_list" in html

    wishlists.remove_item(owner_id=customer.pk, wish_list_id=item.wish_list_id, item_id=item.pk)
    assert SAVED not in _hit(client)


def test_a_new_or_renamed_wish_list_is_offered_on_the_next_page(shop):
    customer = CustomerFactory()
    client = _signed_in(customer)
    _page(client)

    made = wishlists.create_wish_list(owner_id=customer.pk, name="Fountain pens")
    assert "Fountain pens" in _hit(client)

    wishlists.rename_wish_list(owner_id=customer.pk, wish_list_id=made.pk, name="Inks")
    html = _hit(client)
    assert "Inks" in html
    assert "Fountain pens" not in html

    wishlists.delete_wish_list(owner_id=customer.pk, wish_list_id=made.pk)
    assert "Inks" not in _hit(client)


def test_a_review_written_approved_and_removed_shows_on_the_next_page(shop):
    product, _ = shop
    customer = CustomerFactory()
    moderator = CustomerFactory(is_staff=True)
    client = _signed_in(customer)
    assert _review_state(_page(client)) is None

    review = reviews.write_review(
        author_id=customer.pk, product_id=product.pk, draft=ReviewDraft(rating=5, body="Lovely.")
    )
    assert _review_state(_hit(client)) == "Waiting for moderation"

    reviews.approve_review(review_id=review.pk, moderator_id=moderator.pk)
    # The product's rating changed too, so the page itself is made again: a miss is fine.
    assert _review_state(_page(client)) == "Published"

    reviews.reject_review(review_id=review.pk, moderator_id=moderator.pk, reason="Off topic.")
    assert _review_state(_page(client)) == "Not published"

    reviews.delete_review(author_id=customer.pk, review_id=review.pk)
    html = _page(client)
    assert _review_state(html) is None
    assert 'class="review-form"' in html


def test_an_erased_review_shows_on_the_next_page(shop):
    product, _ = shop
    customer = CustomerFactory()
    review = ReviewFactory(author=customer, product=product)
    client = _signed_in(customer)
    assert _review_state(_page(client)) == "Waiting for moderation"

    reviews.erase_reviews(row_ids=[review.pk])

    assert _review_state(_page(client)) is None


def test_a_name_change_shows_in_the_account_menu_at_once(shop):
    customer = CustomerFactory(name="Aiko Tanaka")
    client = _signed_in(customer)
    assert _account_name(_page(client)) == "Aiko Tanaka"

    accounts.update_profile(user=customer, actor=customer, changes={"name": "Aiko Sato"})

    assert _account_name(_hit(client)) == "Aiko Sato"


# ---------------------------------------------------------------- sessions


def test_signing_out_shows_signed_out_and_drops_the_summary(shop):
    customer = CustomerFactory(name="Aiko Tanaka")
    client = _signed_in(customer)
    _page(client)
    assert read_summary(user_id=customer.pk)[1] is not None

    assert client.post(reverse("account_logout")).status_code == 302

    html = _hit(client)
    assert "Sign in" in html
    assert _account_name(html) is None
    assert read_summary(user_id=customer.pk)[1] is None


def test_erasing_the_account_drops_its_summary_at_once(shop):
    """P22: the erasure ends the account's sessions, and its summary (the name, the wish
    lists' names) leaves the cache with them, not an hour later."""
    customer = CustomerFactory(name="Aiko Tanaka")
    client = _signed_in(customer)
    WishListFactory(owner=customer, name="Birthday ideas")
    assert _account_name(_page(client)) == "Aiko Tanaka"
    assert cache.get(f"accounts:summary:{customer.pk}") is not None

    privacy.erase_subject(subject=customer.pk, actor="test")

    assert cache.get(f"accounts:summary:{customer.pk}") is None
    html = _hit(client)
    assert _account_name(html) is None
    assert "Aiko" not in html


@pytest.mark.parametrize("everywhere", [False, True])
def test_signing_out_everywhere_drops_the_summary(shop, everywhere):
    customer = CustomerFactory(name="Aiko Tanaka")
    here, elsewhere = _signed_in(customer), _signed_in(customer)
    _page(here)
    _page(elsewhere)
    assert cache.get(f"accounts:summary:{customer.pk}") is not None
    current = None if everywhere else here.session.session_key

    if everywhere:
        sessions.end_all_sessions(user=customer)
    else:
        sessions.end_other_sessions(user=customer, current_key=current)

    assert cache.get(f"accounts:summary:{customer.pk}") is None
    assert _account_name(_hit(elsewhere)) is None
    # The browser that stayed signed in is shown as itself again, from a summary made anew.
    expected = None if everywhere else "Aiko Tanaka"
    assert _account_name(_hit(here)) == expected


def test_a_password_change_elsewhere_signs_this_session_out(shop):
    customer = CustomerFactory(name="Aiko Tanaka")
    client = _signed_in(customer)
    assert _account_name(_page(client)) == "Aiko Tanaka"

    # Another device changed the password: this session's hash no longer matches.
    customer.set_password("a-new-long-passphrase")
    customer.save()

    html = _hit(client)
    assert _account_name(html) is None
    assert "Sign in" in html


def test_a_deleted_account_shows_signed_out(shop):
    customer = CustomerFactory(name="Aiko Tanaka")
    client = _signed_in(customer)
    assert _account_name(_page(client)) == "Aiko Tanaka"

    customer.delete()

    html = _hit(client)
    assert _account_name(html) is None
    assert "Sign in" in html


# ---------------------------------------------------------------- two customers


def test_two_customers_never_see_each_others_summary(shop):
    product, sku = shop
    aiko = CustomerFactory(name="Aiko Tanaka")
    ben = CustomerFactory(name="Ben Ito")
    cart.add_item(Cart.objects.create(user=aiko), sku_id=sku.pk, quantity=4)
    wishlists.create_wish_list(owner_id=aiko.pk, name="Aiko birthday list")
    wishlists.save_item(owner_id=aiko.pk, sku_id=sku.pk, note="")
    reviews.write_review(
        author_id=aiko.pk, product_id=product.pk, draft=ReviewDraft(rating=5, body="Mine.")
    )
    as_aiko, as_ben = _signed_in(aiko), _signed_in(ben)

    for _ in range(2):
        aiko_page, ben_page = _page(as_aiko), _page(as_ben)
        assert (_cart_count(aiko_page), _account_name(aiko_page)) == (4, "Aiko Tanaka")
        assert (_cart_count(ben_page), _account_name(ben_page)) == (0, "Ben Ito")
        assert SAVED in aiko_page
        assert _review_state(aiko_page) == "Waiting for moderation"
        for clue in ("Aiko", SAVED, "review-status"):
            assert clue not in ben_page
    assert read_summary(user_id=ben.pk)[1] != read_summary(user_id=aiko.pk)[1]


# ---------------------------------------------------------------- positive controls


def test_positive_control_a_change_behind_the_services_back_leaves_the_page_stale(shop):
    _, sku = shop
    customer = CustomerFactory()
    client = _signed_in(customer)
    assert _cart_count(_page(client)) == 0

    # Planted: a line written without the cart service, which would say the summary changed.
    CartLineFactory(cart=CartFactory(user=customer), sku=sku, quantity=2)

    assert _cart_count(_hit(client)) == 0  # stale: the checks above would catch it
    cart.add_item(Cart.objects.get(user=customer), sku_id=sku.pk, quantity=1)
    assert _cart_count(_hit(client)) == 3


def test_positive_control_a_planted_summary_is_what_the_page_shows(shop):
    customer = CustomerFactory(name="Aiko Tanaka")
    client = _signed_in(customer)
    _page(client)
    version, _ = read_summary(user_id=customer.pk)
    planted = build_summary(user_id=customer.pk, display_name="Planted Name")
    store_summary(user_id=customer.pk, version=version, summary=planted)

    assert _account_name(_hit(client)) == "Planted Name"
    # Any change makes the planted one unused.
    accounts.update_profile(user=customer, actor=customer, changes={"name": "Aiko Sato"})
    assert _account_name(_hit(client)) == "Aiko Sato"


def test_a_summary_made_before_a_change_is_not_used_after_it(shop):
    customer = CustomerFactory(name="Aiko Tanaka")
    # A page reads the version and the database ...
    version, _ = read_summary(user_id=customer.pk)
    old = build_summary(user_id=customer.pk, display_name="Aiko Tanaka")
    # ... the name changes meanwhile ...
    accounts.update_profile(user=customer, actor=customer, changes={"name": "Aiko Sato"})
    # ... and the page stores what it read, under the version it read: not used.
    store_summary(user_id=customer.pk, version=version, summary=old)

    assert read_summary(user_id=customer.pk)[1] is None


def test_a_summary_made_before_the_change_commits_is_not_used_after_it(
    shop, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(name="Aiko Tanaka")
    with django_capture_on_commit_callbacks(execute=True):
        accounts.update_profile(user=customer, actor=customer, changes={"name": "Aiko Sato"})
        # A page made between the change and its commit reads the database before it.
        between, _ = read_summary(user_id=customer.pk)
        stale = build_summary(user_id=customer.pk, display_name="Aiko Tanaka")
        store_summary(user_id=customer.pk, version=between, summary=stale)
        assert read_summary(user_id=customer.pk)[1] == stale

    assert read_summary(user_id=customer.pk)[1] is None


def test_a_lost_version_makes_the_summary_again(shop):
    customer = CustomerFactory()
    version, _ = read_summary(user_id=customer.pk)
    store_summary(
        user_id=customer.pk,
        version=version,
        summary=build_summary(user_id=customer.pk, display_name="x"),
    )
    cache.delete(f"accounts:summary-version:{customer.pk}")

    assert read_summary(user_id=customer.pk)[1] is None


# ---------------------------------------------------------------- queries


def test_a_warm_signed_in_hit_runs_two_queries_whatever_the_customer_holds(
    shop, django_assert_num_queries
):
    _, sku = shop
    others = SKUFactory.create_batch(4, product=ProductFactory())
    customer = CustomerFactory()
    client = _signed_in(customer)
    _page(client)
    with django_assert_num_queries(2):
        _hit(client)

    customer_cart = Cart.objects.create(user=customer)
    for other in others:
        cart.add_item(customer_cart, sku_id=other.pk, quantity=2)
    for index in range(5):
        wish_list = WishListFactory(owner=customer, name=f"List {index}")
        WishListItemFactory(wish_list=wish_list, sku=sku)
    accounts.update_profile(user=customer, actor=customer, changes={"name": "Many Things"})

    # The customer, the catalogue generation (see test_shared_pages); a miss of the summary
    # adds four, whatever the customer holds.
    with django_assert_num_queries(2 + 4):
        html = _hit(client)
    assert _cart_count(html) == 8
    with django_assert_num_queries(2):
        assert _cart_count(_hit(client)) == 8


def test_the_summary_is_a_customer_summary_per_id(shop):
    aiko, ben = CustomerFactory(), CustomerFactory()
    _page(_signed_in(aiko))
    summary = read_summary(user_id=aiko.pk)[1]
    assert isinstance(summary, CustomerSummary)
    assert read_summary(user_id=ben.pk)[1] is None


def test_the_name_in_the_account_menu_is_escaped(shop):
    customer = CustomerFactory(name="<b>Aiko</b>")
    html = _page(_signed_in(customer))
    assert "&lt;b&gt;Aiko&lt;/b&gt;" in html
    assert "<b>Aiko</b>" not in html
