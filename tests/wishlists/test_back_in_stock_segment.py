"""The wish lists' back-in-stock segment: customers with a product on a wish list one of
whose SKUs came back in stock (``SKU.restocked_at``) in the last N days and is in stock now;
N from staff, 14 when left blank, 1 to 90, anything else refused with a reason."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from bungu.catalog import services as catalog_services
from bungu.catalog.models import SKU
from bungu.marketing.audiences import segment_members, segment_size
from bungu.marketing.exceptions import UnknownSegment
from bungu.wishlists.segments import DEFAULT_DAYS, parse_days
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory, SKUFactory
from tests.wishlists.factories import WishListItemFactory, on_sale_sku

pytestmark = pytest.mark.django_db

KEY = "wished_back_in_stock"


def members(argument: str = "", *, now: datetime.datetime | None = None) -> set[str]:
    found = segment_members(key=KEY, argument=argument, now=now or timezone.now())
    return set(found.values_list("email", flat=True))


def wished_by(email: str, sku: SKU) -> None:
    WishListItemFactory(wish_list__owner=CustomerFactory(email=email), sku=sku)


def comes_back(sku: SKU, *, stock: int = 5) -> None:
    """A delivery: staff give a sold-out SKU stock (the admin's path, a SKU's save)."""
    sku = SKU.objects.get(pk=sku.pk)
    sku.stock = stock
    sku.save()


def restocked_days_ago(sku: SKU, days: int) -> None:
    comes_back(sku)
    at = timezone.now() - datetime.timedelta(days=days)
    SKU.objects.filter(pk=sku.pk).update(restocked_at=at)


def test_a_wish_lister_whose_item_came_back_is_in_the_segment() -> None:
    back = on_sale_sku(stock=0)
    wished_by("back@example.com", back)
    wished_by("always@example.com", on_sale_sku(stock=5))
    wished_by("still-out@example.com", on_sale_sku(stock=0))
    assert members() == set()

    comes_back(back)

    assert members() == {"back@example.com"}
    assert segment_size(key=KEY, argument="", now=timezone.now()) == 1


def test_an_item_in_stock_all_along_never_counts() -> None:
    """Stock that only grows never ran out: no return to stock, however recent the delivery."""
    sku = on_sale_sku(stock=3)
    wished_by("always@example.com", sku)
    comes_back(sku, stock=50)
    catalog_services.restock(lines={sku.pk: 4})

    assert members("90") == set()


def test_a_return_longer_ago_than_n_days_does_not_count() -> None:
    old = on_sale_sku(stock=0)
    wished_by("old@example.com", old)
    restocked_days_ago(old, 30)
    recent = on_sale_sku(stock=0)
    wished_by("recent@example.com", recent)
    restocked_days_ago(recent, 13)

    assert members("14") == {"recent@example.com"}
    assert members("") == {"recent@example.com"}  # 14 by default
    assert members("31") == {"old@example.com", "recent@example.com"}
    assert members("12") == set()


def test_an_item_out_of_stock_again_does_not_count() -> None:
    sku = on_sale_sku(stock=0)
    wished_by("missed-it@example.com", sku)
    comes_back(sku, stock=2)
    assert members() == {"missed-it@example.com"}

    catalog_services.hold_stock(lines={sku.pk: 2})  # someone bought the two that came

    assert members() == set()


def test_another_sku_of_the_wished_product_coming_back_counts() -> None:
    """The customer wished for the product in black; it came back in blue: the product is
    back, the campaign can say so."""
    product = ProductFactory(skus=0)
    black = SKUFactory(product=product, ink_colour="Black", stock=0)
    blue = SKUFactory(product=product, ink_colour="Blue", stock=0)
    wished_by("black@example.com", black)
    wished_by("elsewhere@example.com", on_sale_sku(stock=0))

    comes_back(blue)

    assert members() == {"black@example.com"}


def test_a_withdrawn_sku_or_product_does_not_count() -> None:
    withdrawn_sku = on_sale_sku(stock=0)
    wished_by("sku@example.com", withdrawn_sku)
    comes_back(withdrawn_sku)
    SKU.objects.filter(pk=withdrawn_sku.pk).update(is_active=False)
    withdrawn_product = on_sale_sku(stock=0)
    wished_by("product@example.com", withdrawn_product)
    comes_back(withdrawn_product)
    withdrawn_product.product.is_active = False
    withdrawn_product.product.save()

    assert members() == set()


def test_staff_and_closed_accounts_are_never_members() -> None:
    sku = on_sale_sku(stock=0)
    WishListItemFactory(wish_list__owner=CustomerFactory(is_staff=True), sku=sku)
    WishListItemFactory(wish_list__owner=CustomerFactory(is_active=False), sku=sku)
    wished_by("open@example.com", sku)
    comes_back(sku)

    assert members() == {"open@example.com"}


@pytest.mark.parametrize("wishers", [1, 12])
def test_the_size_is_one_query_however_many_customers_and_items(
    wishers: int, django_assert_num_queries
) -> None:
    for n in range(wishers):
        sku = on_sale_sku(stock=0)
        owner = CustomerFactory(email=f"w{n}@example.com")
        WishListItemFactory(wish_list__owner=owner, sku=sku)
        WishListItemFactory(wish_list__owner=owner, sku=on_sale_sku(stock=0))
        comes_back(sku)

    with django_assert_num_queries(1):
        size = segment_size(key=KEY, argument="30", now=timezone.now())

    assert size == wishers


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("0", "0 days is out of range."),
        ("91", "91 days is out of range."),
        ("365", "365 days is out of range."),
        ("-3", "'-3' is not a number of days."),
        ("14.5", "'14.5' is not a number of days."),
        ("two weeks", "'two weeks' is not a number of days."),
        ("1e3", "'1e3' is not a number of days."),
        ("\u0661\u0664", "is not a number of days."),  # digits, but not 0-9
        ("9" * 400, "is not a number of days."),
    ],
)
def test_bad_days_are_refused_with_a_reason(argument: str, message: str) -> None:
    with pytest.raises(UnknownSegment) as refused:
        segment_size(key=KEY, argument=argument, now=timezone.now())
    assert message in str(refused.value)
    assert "whole number from 1 to 90" in str(refused.value)


@pytest.mark.parametrize(("argument", "days"), [("1", 1), (" 90 ", 90), ("014", 14)])
def test_good_days(argument: str, days: int) -> None:
    assert parse_days(argument) == days
    assert DEFAULT_DAYS == 14
