"""Wish list rules (P4, P22): private by default, shared by a revocable unguessable link."""

from __future__ import annotations

import pytest

from bungu.cart import services as cart_services
from bungu.cart.models import Cart, CartLine
from bungu.wishlists import services
from bungu.wishlists.models import DEFAULT_NAME, WishList, WishListItem
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory, SKUFactory

from .factories import WishListFactory, WishListItemFactory, on_sale_sku

pytestmark = pytest.mark.django_db


def test_a_new_wish_list_is_private():
    customer = CustomerFactory()

    wish_list = services.create_wish_list(owner_id=customer.id, name="  Birthday   ideas ")

    assert (wish_list.owner, wish_list.name) == (customer, "Birthday ideas")
    assert wish_list.share_token is None
    assert wish_list.is_shared is False


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "Give the wish list a name."), ("x" * 81, "Keep the name under 80 characters.")],
)
def test_a_bad_name_is_refused(name, message):
    with pytest.raises(services.WishListError) as refused:
        services.create_wish_list(owner_id=CustomerFactory().id, name=name)

    assert str(refused.value) == message
    assert WishList.objects.count() == 0


def test_a_customer_keeps_a_bounded_number_of_lists(monkeypatch):
    monkeypatch.setattr(services, "MAX_WISH_LISTS", 2)
    customer = CustomerFactory()
    services.create_wish_list(owner_id=customer.id, name="One")
    services.create_wish_list(owner_id=customer.id, name="Two")

    with pytest.raises(services.TooMany):
        services.create_wish_list(owner_id=customer.id, name="Three")

    assert WishList.objects.filter(owner=customer).count() == 2


def test_sharing_gives_a_new_unguessable_link_each_time():
    wish_list = WishListFactory()

    first = services.share_wish_list(
        owner_id=wish_list.owner_id, wish_list_id=wish_list.id
    ).share_token
    second = services.share_wish_list(
        owner_id=wish_list.owner_id, wish_list_id=wish_list.id
    ).share_token

    assert first is not None
    assert second is not None
    assert len(first) == len(second) == 43
    assert first != second
    with pytest.raises(WishList.DoesNotExist):
        services.get_shared_wish_list(token=first)
    assert services.get_shared_wish_list(token=second) == wish_list


def test_stopping_sharing_kills_the_link():
    wish_list = WishListFactory()
    token = services.share_wish_list(
        owner_id=wish_list.owner_id, wish_list_id=wish_list.id
    ).share_token
    assert token is not None

    services.stop_sharing(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)

    with pytest.raises(WishList.DoesNotExist):
        services.get_shared_wish_list(token=token)
    wish_list.refresh_from_db()
    assert (wish_list.share_token, wish_list.shared_at) == (None, None)


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "a" * 44, "../../etc/passwd" + "a" * 27])
def test_forged_tokens_find_nothing(token):
    WishListFactory(share_token="y" * 43)

    with pytest.raises(WishList.DoesNotExist):
        services.get_shared_wish_list(token=token)


def test_only_the_owner_changes_a_list():
    wish_list = WishListFactory(name="Mine")
    other = CustomerFactory()

    for change in (
        lambda: services.rename_wish_list(owner_id=other.id, wish_list_id=wish_list.id, name="X"),
        lambda: services.delete_wish_list(owner_id=other.id, wish_list_id=wish_list.id),
        lambda: services.share_wish_list(owner_id=other.id, wish_list_id=wish_list.id),
        lambda: services.save_item(
            owner_id=other.id, sku_id=on_sale_sku().id, note="", wish_list_id=wish_list.id
        ),
    ):
        with pytest.raises(WishList.DoesNotExist):
            change()

    wish_list.refresh_from_db()
    assert (wish_list.name, wish_list.share_token, wish_list.items.count()) == ("Mine", None, 0)


def test_saving_without_a_list_makes_the_first_one():
    customer = CustomerFactory()
    sku = on_sale_sku()

    item = services.save_item(owner_id=customer.id, sku_id=sku.id, note="For Mum")

    assert (item.wish_list.name, item.wish_list.owner, item.sku, item.note) == (
        DEFAULT_NAME,
        customer,
        sku,
        "For Mum",
    )


def test_saving_the_same_item_again_updates_its_note_only():
    item = WishListItemFactory(note="old")

    again = services.save_item(
        owner_id=item.wish_list.owner_id,
        sku_id=item.sku_id,
        note="new",
        wish_list_id=item.wish_list_id,
    )
    kept = services.save_item(
        owner_id=item.wish_list.owner_id,
        sku_id=item.sku_id,
        note="",
        wish_list_id=item.wish_list_id,
    )

    assert again.id == kept.id == item.id
    assert kept.note == "new"
    assert WishListItem.objects.count() == 1


def test_withdrawn_items_cannot_be_saved():
    hidden = ProductFactory(is_active=False)
    sku = hidden.skus.get()
    switched_off = SKUFactory(is_active=False)
    customer = CustomerFactory()

    for sku_id in (sku.id, switched_off.id, 999_999):
        with pytest.raises(services.SkuNotAvailable):
            services.save_item(owner_id=customer.id, sku_id=sku_id, note="")

    assert WishList.objects.count() == 0


def test_a_long_note_is_refused():
    customer = CustomerFactory()

    with pytest.raises(services.WishListError) as refused:
        services.save_item(owner_id=customer.id, sku_id=on_sale_sku().id, note="n" * 501)

    assert str(refused.value) == "Keep the note under 500 characters (it has 501)."
    assert WishListItem.objects.count() == 0


def test_items_say_whether_they_can_still_be_bought():
    wish_list = WishListFactory()
    on_sale = WishListItemFactory(wish_list=wish_list)
    gone = WishListItemFactory(
        wish_list=wish_list, sku=SKUFactory(is_active=False, product=ProductFactory())
    )

    views = services.list_items(wish_list=wish_list)

    assert {(view.item.id, view.available) for view in views} == {
        (on_sale.id, True),
        (gone.id, False),
    }


def test_moving_an_item_to_the_cart():
    item = WishListItemFactory(sku=on_sale_sku(stock=5))
    cart = Cart.objects.create(user=item.wish_list.owner)

    change = services.move_item_to_cart(
        owner_id=item.wish_list.owner_id, wish_list_id=item.wish_list_id, item_id=item.id, cart=cart
    )

    assert change.quantity == 1
    assert list(CartLine.objects.values_list("sku_id", "quantity")) == [(item.sku_id, 1)]
    assert not WishListItem.objects.filter(id=item.id).exists()


def test_a_sold_out_item_stays_on_the_list():
    item = WishListItemFactory(sku=on_sale_sku(stock=0))
    cart = Cart.objects.create(user=item.wish_list.owner)

    with pytest.raises(cart_services.SoldOut):
        services.move_item_to_cart(
            owner_id=item.wish_list.owner_id,
            wish_list_id=item.wish_list_id,
            item_id=item.id,
            cart=cart,
        )

    assert WishListItem.objects.filter(id=item.id).exists()
    assert CartLine.objects.count() == 0


def test_nobody_else_moves_or_removes_an_item():
    item = WishListItemFactory()
    other = CustomerFactory()
    cart = Cart.objects.create(user=other)

    with pytest.raises(WishListItem.DoesNotExist):
        services.move_item_to_cart(
            owner_id=other.id, wish_list_id=item.wish_list_id, item_id=item.id, cart=cart
        )
    with pytest.raises(WishListItem.DoesNotExist):
        services.remove_item(owner_id=other.id, wish_list_id=item.wish_list_id, item_id=item.id)

    assert WishListItem.objects.filter(id=item.id).exists()
    assert CartLine.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "shown"), [("Aiko Tanaka", "Aiko"), ("", ""), ("   ", ""), ("Ren", "Ren")]
)
def test_a_shared_list_names_its_owner_by_first_name_at_most(name, shown):
    assert services.owner_first_name(CustomerFactory(name=name)) == shown
