"""The home page: featured products, the category tree, the makers; few queries, cached."""

from __future__ import annotations

import re

import pytest

from tests.catalog.factories import BrandFactory, CategoryFactory, ProductFactory, SKUFactory
from tests.storefront.html_checks import page_problems

pytestmark = pytest.mark.django_db


def _featured_names(html: str) -> list[str]:
    return re.findall(r'<span class="product-card-name">([^<]+)</span>', html)


def test_home_shows_only_visible_featured_products(client):
    ProductFactory(name="Kakuno", slug="kakuno", is_featured=True, brand__name="Pilot")
    ProductFactory(name="Plain pen", slug="plain")
    ProductFactory(name="Hidden pen", slug="hidden", is_featured=True, is_active=False)
    ProductFactory(name="No SKU pen", slug="no-sku", is_featured=True, skus=0)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert _featured_names(html) == ["Kakuno"]
    assert '<a class="product-card-link" href="/p/kakuno/">' in html
    assert '<span class="product-card-brand">Pilot</span>' in html
    assert '<span class="product-card-price">$3.50</span>' in html


def test_a_featured_product_with_a_price_range_says_from(client):
    product = ProductFactory(name="Juice", slug="juice", is_featured=True, skus=0)
    SKUFactory(product=product, price="2.00")
    SKUFactory(product=product, price="4.00")
    product.refresh_listing_fields()

    html = client.get("/").content.decode()

    assert '<span class="product-card-price">From $2.00</span>' in html


def test_home_lists_top_categories_with_their_children_and_brands(client):
    pens = CategoryFactory(name="Pens", slug="pens")
    CategoryFactory(name="Gel pens", slug="gel", parent=pens)
    CategoryFactory(name="Paper", slug="paper")
    ProductFactory(brand=BrandFactory(name="Zebra", slug="zebra"), category=pens)
    BrandFactory(name="Empty maker", slug="empty")

    html = client.get("/").content.decode()

    tiles = html.split('<ul class="category-grid">', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', tiles) == [
        ("/c/paper/", "Paper"),
        ("/c/pens/", "Pens"),
        ("/c/pens/gel/", "Gel pens"),
    ]
    brands = html.split('<ul class="brand-list">', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', brands) == [("/brands/zebra/", "Zebra")]


def test_home_has_a_canonical_url_without_query_and_passes_the_page_checks(client):
    html = client.get("/?utm_source=mail").content.decode()

    assert '<link rel="canonical" href="http://testserver/">' in html
    assert page_problems(html) == []


@pytest.mark.parametrize("featured", [1, 8])
def test_home_query_count_is_constant(client, django_assert_num_queries, featured):
    for _ in range(featured):
        ProductFactory(is_featured=True, category=CategoryFactory())
    # Page-cache generation; featured products; brands; the navigation's generation,
    # top categories and their children.
    with django_assert_num_queries(6):
        response = client.get("/")

    assert len(_featured_names(response.content.decode())) == featured


def test_home_is_served_from_the_page_cache(client, django_assert_num_queries):
    ProductFactory(is_featured=True)
    first = client.get("/")

    with django_assert_num_queries(1):
        second = client.get("/")

    assert (first["X-Bungu-Page-Cache"], second["X-Bungu-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert "csrfmiddlewaretoken" not in first.content.decode()
