"""A live shop keeps its cached pages: each kind of change makes stale exactly the pages that
show what changed, at once, and every other page stays cached.

The shop: two categories (pens/gel-pens, paper) and two brands, one product in each corner,
every page primed. After a change, each page is asked for again: ``miss`` where it must show
the change, ``hit`` where nothing it shows changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from bungu.catalog import services as catalog
from bungu.catalog.caching import CACHE_HEADER
from bungu.catalog.models import LOW_STOCK_THRESHOLD, SKU, Product
from bungu.catalog.search import reindex_products
from bungu.reviews import services as reviews
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import BrandFactory, CategoryFactory, ProductFactory
from tests.reviews.factories import ReviewFactory

pytestmark = pytest.mark.django_db


@dataclass
class Shop:
    pen: Product
    notebook: Product
    pages: dict[str, str]


@pytest.fixture
def shop(settings) -> Shop:
    # One reading of the generation for the whole test: a second passing mid-test must not
    # turn a hit into a miss.
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    pens = CategoryFactory(slug="pens", name="Pens")
    gel = CategoryFactory(slug="gel-pens", name="Gel pens", parent=pens)
    paper = CategoryFactory(slug="paper", name="Paper")
    pilot, midori = BrandFactory(slug="pilot"), BrandFactory(slug="midori")
    pen = ProductFactory(
        slug="juice-up", name="Juice Up", category=gel, brand=pilot, is_featured=True
    )
    notebook = ProductFactory(
        slug="md-notebook", name="MD Notebook", category=paper, brand=midori, is_featured=True
    )
    pages = {
        "pen": "/p/juice-up/",
        "pen variant": f"/p/juice-up/?sku={pen.skus.get().code}",
        "notebook": "/p/md-notebook/",
        "pens": "/c/pens/",
        "gel pens": "/c/pens/gel-pens/",
        "gel pens in stock": "/c/pens/gel-pens/?in_stock=1",
        "paper": "/c/paper/",
        "pilot": "/brands/pilot/",
        "midori": "/brands/midori/",
        "search": "/search/?q=juice",
        "home": "/",
    }
    visitor = Client()
    for path in pages.values():
        assert visitor.get(path).status_code == 200, path
    return Shop(pen=pen, notebook=notebook, pages=pages)


def _states(shop: Shop) -> dict[str, str]:
    visitor = Client()
    return {name: visitor.get(path).get(CACHE_HEADER, "-") for name, path in shop.pages.items()}


PEN_PAGES = {"pen", "pen variant", "pens", "gel pens", "gel pens in stock", "pilot", "search"}
NOTEBOOK_PAGES = {"notebook", "paper", "midori"}


def _expect(shop: Shop, *, stale: set[str]) -> None:
    expected = {name: ("miss" if name in stale else "hit") for name in shop.pages}
    assert _states(shop) == expected


def _html(path: str) -> str:
    return Client().get(path).content.decode()


def test_nothing_changed_every_page_is_a_hit(shop):
    _expect(shop, stale=set())


def test_a_price_change_makes_stale_the_pages_of_that_product_only(shop):
    sku = shop.pen.skus.get()
    sku.price = Decimal("4.20")
    sku.save()
    shop.pen.refresh_listing_fields()

    _expect(shop, stale=PEN_PAGES | {"home"})
    assert "$4.20" in _html("/p/juice-up/")
    assert "$4.20" in _html("/c/pens/gel-pens/")


def test_a_name_change_makes_stale_the_pages_of_that_product_only(shop):
    shop.pen.name = "Juice Up 4"
    shop.pen.save()

    _expect(shop, stale=PEN_PAGES | {"home"})
    assert "Juice Up 4" in _html("/p/juice-up/")
    assert "Juice Up 4" in _html("/brands/pilot/")


def test_a_move_to_another_category_makes_stale_both_categories(shop):
    shop.pen.category = shop.notebook.category
    shop.pen.save()

    _expect(shop, stale=PEN_PAGES | {"home", "paper"})
    assert "Juice Up" in _html("/c/paper/")
    assert "Juice Up" not in _html("/c/pens/")


def test_a_new_product_shows_in_its_listings_and_leaves_the_others_cached(shop):
    ProductFactory(
        slug="sarasa",
        name="Sarasa Clip",
        category=shop.pen.category,
        brand=shop.notebook.brand,
        product_type=shop.pen.product_type,
    )

    stale = {"pens", "gel pens", "gel pens in stock", "midori", "search", "home"}
    _expect(shop, stale=stale)
    assert "Sarasa Clip" in _html("/c/pens/gel-pens/")
    assert Client().get("/p/sarasa/").status_code == 200


def test_a_withdrawn_product_leaves_its_page_and_listings_at_once(shop):
    shop.pen.is_active = False
    shop.pen.save()

    visitor = Client()
    assert visitor.get("/p/juice-up/").status_code == 404
    assert "Juice Up" not in _html("/c/pens/gel-pens/")
    assert "Juice Up" not in _html("/")
    assert {
        name: state for name, state in _states(shop).items() if name in NOTEBOOK_PAGES
    } == dict.fromkeys(NOTEBOOK_PAGES, "hit")


def test_an_approved_review_shows_at_once_on_its_product_only(shop):
    review = ReviewFactory(product=shop.pen, body="Bold and smooth.", rating=5)
    assert _states(shop)["pen"] == "hit"  # a pending review shows nowhere

    reviews.approve_review(review_id=review.id, moderator_id=CustomerFactory(is_staff=True).id)

    _expect(shop, stale=PEN_PAGES | {"home"})
    assert "Bold and smooth." in _html("/p/juice-up/")
    assert "5.0" in _html("/c/pens/gel-pens/")


def test_an_order_that_sells_out_a_sku_makes_its_pages_say_so(shop):
    sku = shop.pen.skus.get()

    catalog.hold_stock(lines={sku.id: sku.available})

    _expect(shop, stale=PEN_PAGES | {"home"})
    assert "Sold out" in _html("/p/juice-up/")
    assert "Juice Up" not in _html("/c/pens/gel-pens/?in_stock=1")

    catalog.release_stock(lines={sku.id: 1})
    _expect(shop, stale=PEN_PAGES | {"home"})
    assert "Only a few left" in _html("/p/juice-up/")


def test_a_stock_change_that_shows_nowhere_makes_no_page_stale(shop):
    sku = shop.pen.skus.get()
    assert sku.available > LOW_STOCK_THRESHOLD + 2

    catalog.hold_stock(lines={sku.id: 1})
    catalog.release_stock(lines={sku.id: 1})
    catalog.consume_stock(lines={})

    _expect(shop, stale=set())


def test_a_sku_crossing_into_few_left_makes_its_product_page_stale(shop):
    sku = shop.pen.skus.get()

    catalog.hold_stock(lines={sku.id: sku.available - LOW_STOCK_THRESHOLD})

    assert _states(shop)["pen"] == "miss"
    assert "Only a few left" in _html("/p/juice-up/")
    assert SKU.objects.get(pk=sku.pk).available == LOW_STOCK_THRESHOLD


def test_a_change_rolled_back_by_a_refused_hold_changes_nothing_shown(shop):
    pen_sku = shop.pen.skus.get()
    with pytest.raises(catalog.OutOfStock):
        catalog.hold_stock(lines={pen_sku.id: pen_sku.available + 1})

    assert "Sold out" not in _html("/p/juice-up/")


def test_a_structural_change_still_makes_every_page_stale(shop):
    BrandFactory(slug="sailor")

    _expect(shop, stale=set(shop.pages))


def test_reindexing_a_product_as_the_admin_does_makes_stale_its_pages_only(shop):
    reindex_products([shop.pen.id])

    _expect(shop, stale=PEN_PAGES | {"home"})


def test_products_deleted_in_bulk_make_every_page_stale(shop):
    # The admin deletes a selection with one query, then reindexes: the rows that named the
    # deleted product's pages are gone, so every page goes.
    Product.objects.filter(id=shop.pen.id).delete()
    reindex_products([shop.pen.id])

    assert Client().get("/p/juice-up/").status_code == 404
    assert _states(shop)["notebook"] == "miss"
