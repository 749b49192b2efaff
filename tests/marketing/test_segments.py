"""Segments built from real data: each a small named query, declared by the app that owns
the data, counted before sending."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from bungu.marketing.audiences import declared_segments, segment_members, segment_size
from bungu.marketing.exceptions import UnknownSegment
from bungu.orders import services as order_services
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.catalog.factories import CategoryFactory, ProductFactory, SKUFactory
from tests.orders.factories import ADDRESS, place_test_order
from tests.test_import_contracts import ROOT, _lint_copy
from tests.wishlists.factories import WishListItemFactory, on_sale_sku

pytestmark = pytest.mark.django_db


def _members(key: str, argument: str = "") -> set[str]:
    return set(
        segment_members(key=key, argument=argument, now=timezone.now()).values_list(
            "email", flat=True
        )
    )


def test_every_app_declares_its_segments_and_marketing_finds_them() -> None:
    assert set(declared_segments()) == {
        "bought_in_category",
        "never_ordered",
        "in_state",
        "wished_in_stock",
        "wished_back_in_stock",
    }


def test_bought_in_a_category_counts_the_subtree_and_the_last_year_only() -> None:
    pens = CategoryFactory(name="Pens", slug="pens")
    fountain = CategoryFactory(name="Fountain pens", slug="fountain-pens", parent=pens)
    paper = CategoryFactory(name="Paper", slug="paper")
    fountain_sku = SKUFactory(product=ProductFactory(category=fountain, skus=0))
    paper_sku = SKUFactory(product=ProductFactory(category=paper, skus=0))
    recent = CustomerFactory(email="recent@example.com")
    place_test_order(customer=recent, sku=fountain_sku)
    old = CustomerFactory(email="old@example.com")
    old_order = place_test_order(customer=old, sku=fountain_sku)
    type(old_order).objects.filter(pk=old_order.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    place_test_order(customer=CustomerFactory(email="paper@example.com"), sku=paper_sku)
    place_test_order(customer=None, sku=fountain_sku)  # a guest: no account to write to
    CustomerFactory(email="staff@example.com", is_staff=True)

    assert _members("bought_in_category", "pens/fountain-pens") == {"recent@example.com"}
    assert _members("bought_in_category", "pens") == {"recent@example.com"}
    assert _members("bought_in_category", "paper") == {"paper@example.com"}


def test_a_cancelled_order_is_not_a_purchase(gateway) -> None:
    pens = CategoryFactory(slug="pens")
    sku = SKUFactory(product=ProductFactory(category=pens, skus=0))
    order = place_test_order(customer=CustomerFactory(), sku=sku, gateway=gateway)
    assert _members("bought_in_category", "pens") != set()
    order_services.cancel_order(order=order, actor="test")

    assert _members("bought_in_category", "pens") == set()


def test_never_ordered_leaves_out_customers_with_orders_staff_and_closed_accounts() -> None:
    CustomerFactory(email="new@example.com")
    place_test_order(customer=CustomerFactory(email="buyer@example.com"))
    CustomerFactory(email="closed@example.com", is_active=False)
    CustomerFactory(email="staff@example.com", is_staff=True)

    assert _members("never_ordered") == {"new@example.com"}
    assert segment_size(key="never_ordered", argument="", now=timezone.now()) == 1


def test_in_a_state_reads_saved_addresses_and_recent_deliveries() -> None:
    AddressFactory(customer=CustomerFactory(email="saved@example.com"), region="ca")
    place_test_order(customer=CustomerFactory(email="shipped@example.com"), address=ADDRESS)
    AddressFactory(customer=CustomerFactory(email="ny@example.com"), region="NY")

    assert _members("in_state", "CA") == {"saved@example.com", "shipped@example.com"}
    assert _members("in_state", " ny ") == {"ny@example.com"}


def test_wish_listed_an_item_in_stock_now() -> None:
    WishListItemFactory(
        wish_list__owner=CustomerFactory(email="waiting@example.com"), sku=on_sale_sku(stock=3)
    )
    WishListItemFactory(
        wish_list__owner=CustomerFactory(email="soldout@example.com"), sku=on_sale_sku(stock=0)
    )

    assert _members("wished_in_stock") == {"waiting@example.com"}


@pytest.mark.parametrize(
    ("key", "argument", "message"),
    [
        ("nonsense", "", "There is no segment 'nonsense'."),
        ("bought_in_category", "", "This segment needs a category."),
        ("bought_in_category", "no/such", "There is no category 'no/such'."),
        ("in_state", "x" * 300, "Name the state or region, e.g. CA."),
    ],
)
def test_a_bad_segment_or_argument_is_refused_with_a_reason(
    key: str, argument: str, message: str
) -> None:
    with pytest.raises(UnknownSegment) as refused:
        segment_size(key=key, argument=argument, now=timezone.now())
    assert str(refused.value) == message


def test_the_segments_declaration_may_import_no_app(tmp_path: Path) -> None:
    own = (ROOT / "src" / "bungu" / "segments.py").read_text()

    result = _lint_copy(tmp_path, {"bungu/segments.py": own + "import bungu.orders.models\n"})

    out = result.stdout + result.stderr
    assert "The declaration of campaign segments (bungu.segments) imports no app BROKEN" in out
