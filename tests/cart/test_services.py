"""The cart's rules: stock and SKU checks, quantities, totals, retention (P5, P6, P10)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bungu.cart import services
from bungu.cart.models import Cart, CartLine
from bungu.cart.services import LineState
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory
from tests.catalog.factories import ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pen():
    product = ProductFactory(name="Kakuno", skus=0)
    sku = SKUFactory(product=product, tip_size="F", ink_colour="Black", price="12.50", stock=5)
    product.refresh_listing_fields()
    return sku


def _lines(cart: Cart) -> list[tuple[int, int]]:
    return list(cart.lines.order_by("id").values_list("sku_id", "quantity"))


def test_adding_makes_a_line_and_adding_again_adds_to_it(pen) -> None:
    cart = CartFactory()

    first = services.add_item(cart, sku_id=pen.id, quantity=2)
    second = services.add_item(cart, sku_id=pen.id, quantity=1)

    assert first.message == "Added 2 of Kakuno (F, Black) to your cart."
    assert (second.quantity, second.added, second.was_capped) == (3, 1, False)
    assert _lines(cart) == [(pen.id, 3)]


def test_adding_more_than_is_in_stock_is_capped_with_a_message(pen) -> None:
    cart = CartFactory()
    services.add_item(cart, sku_id=pen.id, quantity=3)

    change = services.add_item(cart, sku_id=pen.id, quantity=4)

    assert change.capped_by_stock
    assert change.message == "Only 5 of Kakuno (F, Black) left in stock, so your cart holds 5."
    assert _lines(cart) == [(pen.id, 5)]


def test_adding_when_the_cart_already_holds_all_the_stock_is_refused(pen) -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, sku=pen, quantity=5)

    with pytest.raises(services.LimitReached, match=r"^Your cart already holds all 5 of"):
        services.add_item(cart, sku_id=pen.id, quantity=1)
    assert _lines(cart) == [(pen.id, 5)]


def test_one_order_takes_at_most_the_line_limit_even_with_plenty_in_stock() -> None:
    sku = SKUFactory(stock=500)
    cart = CartFactory()
    services.add_item(cart, sku_id=sku.id, quantity=60)

    change = services.add_item(cart, sku_id=sku.id, quantity=60)

    assert (change.quantity, change.capped_by_limit, change.capped_by_stock) == (99, True, False)
    assert change.message.startswith("One order takes at most 99 of")
    with pytest.raises(services.LimitReached, match="the most one order takes"):
        services.add_item(cart, sku_id=sku.id, quantity=1)


def test_a_sold_out_sku_is_refused_and_nothing_changes(pen) -> None:
    pen.stock = 0
    pen.save()
    cart = CartFactory()

    with pytest.raises(services.SoldOut, match=r"^Kakuno \(F, Black\) is sold out\.$"):
        services.add_item(cart, sku_id=pen.id, quantity=1)
    assert _lines(cart) == []


@pytest.mark.parametrize("withdrawn", ["sku", "product"])
def test_a_withdrawn_sku_or_product_is_refused(pen, withdrawn: str) -> None:
    target = pen if withdrawn == "sku" else pen.product
    target.is_active = False
    target.save()
    cart = CartFactory()

    with pytest.raises(services.NotPurchasable, match="is no longer sold"):
        services.add_item(cart, sku_id=pen.id, quantity=1)
    assert _lines(cart) == []


def test_an_unknown_sku_is_refused() -> None:
    cart = CartFactory()

    with pytest.raises(services.NotPurchasable, match=r"^That item is not sold here\.$"):
        services.add_item(cart, sku_id=987654, quantity=1)


@pytest.mark.parametrize("quantity", [-1, 0, 100, 10**12, "abc", True, 2.5, None])
def test_a_bad_quantity_is_refused_and_nothing_changes(pen, quantity: object) -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, sku=pen, quantity=2)

    with pytest.raises(services.BadQuantity):
        services.add_item(cart, sku_id=pen.id, quantity=quantity)  # type: ignore[arg-type]
    assert _lines(cart) == [(pen.id, 2)]


def test_set_quantity_changes_caps_and_zero_removes(pen) -> None:
    cart = CartFactory()
    line = CartLineFactory(cart=cart, sku=pen, quantity=1)

    assert services.set_quantity(cart, line_id=line.id, quantity=3).quantity == 3
    capped = services.set_quantity(cart, line_id=line.id, quantity=9)
    assert (capped.quantity, capped.capped_by_stock) == (5, True)
    removed = services.set_quantity(cart, line_id=line.id, quantity=0)
    assert removed.message == "Removed Kakuno (F, Black) from your cart."
    assert _lines(cart) == []


@pytest.mark.parametrize("quantity", [-1, 100, 10**12])
def test_set_quantity_refuses_a_bad_quantity(pen, quantity: int) -> None:
    cart = CartFactory()
    line = CartLineFactory(cart=cart, sku=pen, quantity=2)

    with pytest.raises(services.BadQuantity, match=r"^Enter a quantity from 0 to 99\.$"):
        services.set_quantity(cart, line_id=line.id, quantity=quantity)
    assert _lines(cart) == [(pen.id, 2)]


def test_a_withdrawn_line_can_only_be_removed(pen) -> None:
    cart = CartFactory()
    line = CartLineFactory(cart=cart, sku=pen, quantity=2)
    pen.is_active = False
    pen.save()

    with pytest.raises(services.NotPurchasable, match="you can only remove it"):
        services.set_quantity(cart, line_id=line.id, quantity=1)
    assert _lines(cart) == [(pen.id, 2)]
    assert services.remove_line(cart, line_id=line.id) == "Kakuno (F, Black)"
    assert _lines(cart) == []


@pytest.mark.parametrize("line_id", [0, -3, 2**63, 10**30])
def test_impossible_line_ids_are_not_found(line_id: int) -> None:
    with pytest.raises(services.LineNotFound):
        services.remove_line(CartFactory(), line_id=line_id)


def test_another_carts_line_is_not_found_and_stays(pen) -> None:
    mine, theirs = CartFactory(), CartFactory(user=CustomerFactory())
    their_line = CartLineFactory(cart=theirs, sku=pen, quantity=2)

    with pytest.raises(services.LineNotFound):
        services.set_quantity(mine, line_id=their_line.id, quantity=1)
    with pytest.raises(services.LineNotFound):
        services.remove_line(mine, line_id=their_line.id)
    assert _lines(theirs) == [(pen.id, 2)]


def test_totals_leave_out_withdrawn_and_sold_out_lines_but_show_them(pen) -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, sku=pen, quantity=2)
    short = CartLineFactory(cart=cart, sku=SKUFactory(price="3.10", stock=1), quantity=3)
    CartLineFactory(cart=cart, sku=SKUFactory(price="100.00", stock=0), quantity=1)
    CartLineFactory(cart=cart, sku=SKUFactory(price="50.00", is_active=False), quantity=1)

    summary = services.view_cart(cart)

    assert [line.state for line in summary.lines] == [
        LineState.OK,
        LineState.SHORT,
        LineState.SOLD_OUT,
        LineState.WITHDRAWN,
    ]
    assert summary.subtotal == Decimal("34.30")  # 2 x 12.50 + 3 x 3.10
    assert summary.item_count == 7
    assert summary.lines[1].line == short
    assert summary.lines[1].note == "Only 1 left: lower the quantity to buy this."
    assert summary.lines[3].note == "No longer sold: not counted in the total."


def test_an_empty_or_missing_cart_totals_zero() -> None:
    assert services.view_cart(None).subtotal == Decimal("0.00")
    assert services.view_cart(CartFactory()).is_empty


def test_purge_deletes_carts_kept_longer_than_declared(settings, pen) -> None:
    settings.BUNGU_CART_COOKIE_DAYS = 90
    settings.BUNGU_CART_ACCOUNT_DAYS = 365
    now = timezone.now()
    old_anonymous = CartLineFactory(sku=pen).cart
    fresh_anonymous = CartFactory()
    old_account = CartFactory(user=CustomerFactory())
    kept_account = CartFactory(user=CustomerFactory())
    for cart, age in [(old_anonymous, 91), (fresh_anonymous, 89), (old_account, 366)]:
        Cart.objects.filter(pk=cart.pk).update(updated_at=now - timedelta(days=age))
    Cart.objects.filter(pk=kept_account.pk).update(updated_at=now - timedelta(days=200))

    result = services.purge_expired_carts(now=now)

    assert (result.anonymous, result.accounts) == (1, 1)
    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh_anonymous.pk, kept_account.pk}
    assert not CartLine.objects.filter(cart_id=old_anonymous.pk).exists()


def test_the_purge_command_says_what_it_deleted() -> None:
    old = CartFactory()
    Cart.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=400))
    out = StringIO()

    call_command("purge_carts", stdout=out)

    assert out.getvalue() == (
        "Deleted 1 anonymous carts older than 90 days and 0 account carts older than 365 days.\n"
    )
    assert not Cart.objects.exists()
