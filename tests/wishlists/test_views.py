"""Wish list pages: the owner's pages, the share link, bad input and who may reach what."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bungu.cart import services as cart_services
from bungu.cart.models import CartLine
from bungu.wishlists import services
from bungu.wishlists.models import WishList, WishListItem
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory
from tests.storefront.html_checks import page_problems

from .factories import WishListFactory, WishListItemFactory, on_sale_sku

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _owner_urls(item: WishListItem) -> list[str]:
    ids = {"wish_list_id": item.wish_list_id}
    both = {**ids, "item_id": item.id}
    return [
        reverse("wishlists:detail", kwargs=ids),
        reverse("wishlists:rename", kwargs=ids),
        reverse("wishlists:delete", kwargs=ids),
        reverse("wishlists:share", kwargs=ids),
        reverse("wishlists:unshare", kwargs=ids),
        reverse("wishlists:note", kwargs=both),
        reverse("wishlists:remove", kwargs=both),
        reverse("wishlists:move", kwargs=both),
    ]


def _snapshot(item: WishListItem) -> tuple[object, ...]:
    wish_list = WishList.objects.get(id=item.wish_list_id)
    kept = WishListItem.objects.get(id=item.id)
    return (wish_list.name, wish_list.share_token, kept.note, CartLine.objects.count())


@pytest.mark.parametrize("who", ["anonymous", "another customer"])
def test_every_owner_address_is_404_for_anyone_else(client, who):
    item = WishListItemFactory(note="secret note", wish_list__name="Private")
    before = _snapshot(item)
    if who == "another customer":
        client.force_login(CustomerFactory())

    found = {}
    for url in _owner_urls(item):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"name": "Hacked", "note": "Hacked"})
            found[f"{method} {url}"] = response.status_code
            assert "secret note" not in response.content.decode()

    assert set(found.values()) == {404}
    assert _snapshot(item) == before


def test_saving_needs_a_signed_in_customer(client):
    sku = on_sale_sku()

    response = client.post(reverse("wishlists:save"), {"sku": sku.id})

    assert response.status_code == 404
    assert WishListItem.objects.count() == 0


# ---------------------------------------------------------------- the owner's pages


def test_the_index_tells_anonymous_visitors_what_it_needs(client):
    response = client.get(reverse("wishlists:index"))

    assert response.status_code == 200
    assert "Wish lists need an account" in response.content.decode()


def test_creating_renaming_and_deleting_a_list(client):
    customer = CustomerFactory()
    client.force_login(customer)

    created = client.post(reverse("wishlists:index"), {"name": "Birthday"})
    wish_list = WishList.objects.get(owner=customer)
    renamed = client.post(reverse("wishlists:rename", args=[wish_list.id]), {"name": "Gifts"})
    wish_list.refresh_from_db()
    name_after_rename = wish_list.name
    confirm = client.get(reverse("wishlists:delete", args=[wish_list.id]))
    deleted = client.post(reverse("wishlists:delete", args=[wish_list.id]))

    assert created["Location"] == reverse("wishlists:detail", args=[wish_list.id])
    assert renamed.status_code == 302
    assert name_after_rename == "Gifts"
    assert confirm.status_code == 200
    assert deleted["Location"] == reverse("wishlists:index")
    assert WishList.objects.count() == 0


def test_a_bad_name_keeps_what_was_typed(client):
    wish_list = WishListFactory(name="Kept")
    client.force_login(wish_list.owner)
    long_name = "n" * 81

    created = client.post(reverse("wishlists:index"), {"name": long_name})
    renamed = client.post(reverse("wishlists:rename", args=[wish_list.id]), {"name": "  "})

    assert created.status_code == 400
    assert "Keep the name under 80 characters." in created.content.decode()
    assert f'value="{long_name}"' in created.content.decode()
    assert renamed.status_code == 400
    assert "Give the wish list a name." in renamed.content.decode()
    wish_list.refresh_from_db()
    assert wish_list.name == "Kept"
    assert WishList.objects.count() == 1


def test_the_owner_sees_items_and_notes_escaped(client):
    item = WishListItemFactory(note="<script>alert(1)</script>")
    client.force_login(item.wish_list.owner)

    html = client.get(reverse("wishlists:detail", args=[item.wish_list_id])).content.decode()

    assert item.sku.product.name in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "This list is private: only you can see it." in html


def test_a_long_note_gets_a_message_and_keeps_the_text(client):
    item = WishListItemFactory(note="short")
    client.force_login(item.wish_list.owner)
    note = "n" * 600

    response = client.post(
        reverse("wishlists:note", args=[item.wish_list_id, item.id]), {"note": note}
    )

    assert response.status_code == 400
    assert "Keep the note under 500 characters (it has 600)." in response.content.decode()
    assert f"{note}</textarea>" in response.content.decode()
    item.refresh_from_db()
    assert item.note == "short"


def test_removing_an_item(client):
    item = WishListItemFactory()
    client.force_login(item.wish_list.owner)

    response = client.post(reverse("wishlists:remove", args=[item.wish_list_id, item.id]))

    assert response.status_code == 302
    assert WishListItem.objects.count() == 0


def test_moving_an_item_to_the_cart(client):
    item = WishListItemFactory()
    client.force_login(item.wish_list.owner)

    response = client.post(reverse("wishlists:move", args=[item.wish_list_id, item.id]))

    assert response.status_code == 302
    assert list(CartLine.objects.values_list("cart__user", "sku", "quantity")) == [
        (item.wish_list.owner_id, item.sku_id, 1)
    ]
    assert WishListItem.objects.count() == 0
    added = cart_services.LineChange(
        name=cart_services.sku_name(item.sku), quantity=1, added=1
    ).message
    assert _messages(response) == [f"{added} It is off your wish list."]


def test_a_sold_out_item_is_not_moved(client):
    item = WishListItemFactory(sku=on_sale_sku(stock=0))
    client.force_login(item.wish_list.owner)

    response = client.post(reverse("wishlists:move", args=[item.wish_list_id, item.id]))

    assert response.status_code == 302
    assert _messages(response) == [
        f"{cart_services.sku_name(item.sku)} is sold out. It stays on your wish list."
    ]
    assert WishListItem.objects.count() == 1
    assert CartLine.objects.count() == 0


def test_the_list_page_costs_the_same_with_1_or_10_items(client):
    small, large = WishListFactory(), None
    WishListItemFactory(wish_list=small)
    large = WishListFactory(owner=small.owner)
    for _ in range(10):
        WishListItemFactory(wish_list=large)
    client.force_login(small.owner)
    client.get(reverse("wishlists:detail", args=[small.id]))

    counts = []
    for wish_list in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("wishlists:detail", args=[wish_list.id])).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# ---------------------------------------------------------------- the product page


def test_saving_from_the_product_page(client):
    product = ProductFactory()
    sku = product.skus.get()
    customer = CustomerFactory()
    client.force_login(customer)

    page = client.get(product.get_absolute_url()).content.decode()
    response = client.post(reverse("wishlists:save"), {"sku": sku.id, "note": "Blue one"})

    assert f'action="{reverse("wishlists:save")}"' in page
    assert f'<input type="hidden" name="sku" value="{sku.id}">' in page
    assert response["Location"] == f"{product.get_absolute_url()}?sku={sku.code}"
    item = WishListItem.objects.get()
    assert (item.wish_list.owner, item.sku, item.note) == (customer, sku, "Blue one")
    assert _messages(response) == ["Saved to your wish list “My wish list”."]


def test_the_product_page_offers_a_choice_of_lists(client):
    customer = CustomerFactory()
    WishListFactory(owner=customer, name="Pens")
    WishListFactory(owner=customer, name="Paper")
    client.force_login(customer)
    product = ProductFactory()

    html = client.get(product.get_absolute_url()).content.decode()

    assert '<label for="wishlist-choice">Wish list</label>' in html
    assert ">Paper</option>" in html
    assert ">Pens</option>" in html


def test_anonymous_visitors_are_asked_to_sign_in_to_save(client):
    html = client.get(ProductFactory().get_absolute_url()).content.decode()

    assert "to save this to a wish list." in html
    assert reverse("wishlists:save") not in html


@pytest.mark.parametrize(
    "data",
    [{}, {"sku": "abc"}, {"sku": "-1"}, {"sku": str(10**30)}, {"sku": "1", "wish_list": "x"}],
)
def test_bad_save_requests_get_a_message(client, data):
    client.force_login(CustomerFactory())

    response = client.post(reverse("wishlists:save"), data)

    assert response.status_code == 302
    assert _messages(response) == ["That item could not be saved: choose it again on its page."]
    assert WishListItem.objects.count() == 0


def test_saving_to_someone_elses_list_is_404(client):
    theirs = WishListFactory()
    client.force_login(CustomerFactory())

    response = client.post(
        reverse("wishlists:save"), {"sku": on_sale_sku().id, "wish_list": theirs.id}
    )

    assert response.status_code == 404
    assert WishListItem.objects.count() == 0


# ---------------------------------------------------------------- the share link


def test_a_shared_list_is_read_only_and_hides_the_owners_email(client):
    owner = CustomerFactory(name="Aiko Tanaka", email="aiko@example.com")
    item = WishListItemFactory(wish_list__owner=owner, wish_list__name="Aiko's pens", note="0.38")
    client.force_login(owner)
    client.post(reverse("wishlists:share", args=[item.wish_list_id]))
    token = WishList.objects.get().share_token
    client.logout()

    response = client.get(reverse("wishlists:shared", args=[token]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "A wish list shared by Aiko." in html
    assert "Tanaka" not in html
    assert "aiko@example.com" not in html
    assert item.sku.product.name in html
    assert "0.38" in html
    assert "<form" not in html.split('<main id="main"')[1].split("</main>")[0]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]


def test_a_shared_list_of_an_owner_without_a_name_names_nobody(client):
    wish_list = WishListFactory(owner__name="")
    services.share_wish_list(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
    wish_list.refresh_from_db()

    html = client.get(reverse("wishlists:shared", args=[wish_list.share_token])).content.decode()

    assert "A wish list shared with you." in html


def test_revoked_and_forged_links_are_404(client):
    wish_list = WishListFactory()
    old = services.share_wish_list(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
    old_token = old.share_token
    new = services.share_wish_list(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
    new_url = reverse("wishlists:shared", args=[new.share_token])

    assert client.get(reverse("wishlists:shared", args=[old_token])).status_code == 404
    assert client.get(new_url).status_code == 200
    services.stop_sharing(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
    assert client.get(new_url).status_code == 404
    assert client.get(reverse("wishlists:shared", args=["x" * 43])).status_code == 404
    assert client.get(reverse("wishlists:shared", args=["<script>"])).status_code == 404


def test_the_shared_page_costs_the_same_with_1_or_10_items(client):
    small, large = WishListFactory(share_token="s" * 43), WishListFactory(share_token="l" * 43)
    WishListItemFactory(wish_list=small)
    for _ in range(10):
        WishListItemFactory(wish_list=large)
    client.get(reverse("wishlists:shared", args=["s" * 43]))

    counts = []
    for token in ("s" * 43, "l" * 43):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("wishlists:shared", args=[token]))
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_signed_in_pages_pass_the_accessibility_checks(client):
    item = WishListItemFactory(note="n")
    services.share_wish_list(owner_id=item.wish_list.owner_id, wish_list_id=item.wish_list_id)
    WishListFactory(owner=item.wish_list.owner)
    client.force_login(item.wish_list.owner)
    item.wish_list.refresh_from_db()
    urls = [
        reverse("wishlists:index"),
        reverse("wishlists:detail", args=[item.wish_list_id]),
        reverse("wishlists:delete", args=[item.wish_list_id]),
        reverse("wishlists:note", args=[item.wish_list_id, item.id]),
        reverse("wishlists:shared", args=[item.wish_list.share_token]),
        item.sku.product.get_absolute_url(),
    ]

    found = {url: page_problems(client.get(url).content.decode()) for url in urls}

    assert found == {url: [] for url in urls}
