"""The product page, composed by the storefront: the catalogue's content, the link-based
variant picker, JSON-LD, 404s and query counts."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bungu.catalog.models import SKU, ProductImage
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import CategoryFactory, ProductFactory, SKUFactory
from tests.storefront.html_checks import page_problems
from tests.wishlists.factories import WishListFactory

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _json_ld(html: str) -> dict[str, object]:
    blocks = JSON_LD.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def _three_variant_pen():
    product = ProductFactory(name="Sarasa Clip", slug="sarasa-clip", skus=0)
    SKUFactory(product=product, code="SC-BLK", ink_colour="Black", price="2.50", stock=40)
    SKUFactory(product=product, code="SC-BLU", ink_colour="Blue", price="2.75", stock=3)
    SKUFactory(product=product, code="SC-RED", ink_colour="Red", price="2.50", stock=0)
    product.refresh_listing_fields()
    return product


def test_product_page_shows_the_product(client):
    parent = CategoryFactory(name="Pens", slug="pens")
    gel = CategoryFactory(name="Gel pens", slug="gel-pens", parent=parent)
    product = ProductFactory(
        name="Energel",
        slug="energel",
        category=gel,
        brand__name="Pentel",
        brand__slug="pentel",
        summary="Quick-drying liquid gel.",
        description="First paragraph.\n\nSecond <b>bold</b> paragraph.",
        specs=[["Body", "Plastic"], ["Refill", "LR7"]],
    )

    response = client.get("/p/energel/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="product-title">Energel</h1>' in html
    assert '<a href="/brands/pentel/">Pentel</a>' in html
    breadcrumbs = html.split('<nav class="breadcrumbs" aria-label="Breadcrumb">', 1)[1]
    breadcrumbs = breadcrumbs.split("</nav>", 1)[0]
    assert re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', breadcrumbs) == [
        ("/", "Home"),
        ("/c/pens/", "Pens"),
        ("/c/pens/gel-pens/", "Gel pens"),
        ("/p/energel/", "Energel"),
    ]
    assert '<a href="/p/energel/" aria-current="page">Energel</a>' in html
    assert '<span class="price">$3.50</span>' in html
    assert '<p class="stock stock-in_stock">In stock</p>' in html
    assert "<p>First paragraph.</p>" in html
    assert "<p>Second &lt;b&gt;bold&lt;/b&gt; paragraph.</p>" in html
    assert '<tr><th scope="row">Body</th><td>Plastic</td></tr>' in html
    assert '<tr><th scope="row">Refill</th><td>LR7</td></tr>' in html
    assert '<link rel="canonical" href="http://testserver/p/energel/">' in html
    sku = product.skus.get()
    assert f'src="/art/{sku.code}.svg"' in html
    assert page_problems(html) == []


def test_variant_picker_is_a_list_of_links_with_the_lead_sku_selected(client):
    _three_variant_pen()

    html = client.get("/p/sarasa-clip/").content.decode()

    links = re.findall(
        r'<a href="\?sku=([A-Z-]+)" class="variant[^"]*"( aria-current="true")?>', html
    )
    assert links == [("SC-BLK", ' aria-current="true"'), ("SC-BLU", ""), ("SC-RED", "")]
    assert '<span class="price">$2.50</span>' in html
    # Choosing a variant is a link; the page's one form adds the chosen SKU to the cart.
    forms = re.findall(r'<form class="([^"]+)"', html.split("</header>", 1)[1])
    assert forms == ["add-to-cart"]
    # Its token is filled into the cached page per visitor (a page hole), the only one.
    assert html.count("csrfmiddlewaretoken") == 1


def test_choosing_a_variant_shows_its_price_stock_and_image(client):
    _three_variant_pen()

    html = client.get("/p/sarasa-clip/?sku=SC-BLU").content.decode()

    links = re.findall(
        r'<a href="\?sku=([A-Z-]+)" class="variant[^"]*"( aria-current="true")?>', html
    )
    assert links == [("SC-BLK", ""), ("SC-BLU", ' aria-current="true"'), ("SC-RED", "")]
    assert '<span class="price">$2.75</span>' in html
    assert '<p class="stock stock-low">Only a few left</p>' in html
    assert 'class="product-image" src="/art/SC-BLU.svg"' in html
    assert '<span class="sku-code">SC-BLU</span>' in html
    assert "not sold here" not in html
    # Every variant view names the one product page as canonical.
    assert '<link rel="canonical" href="http://testserver/p/sarasa-clip/">' in html


def test_a_sold_out_variant_says_so(client):
    _three_variant_pen()

    html = client.get("/p/sarasa-clip/?sku=SC-RED").content.decode()

    assert '<p class="stock stock-sold_out">Sold out</p>' in html


def test_the_lead_sku_is_the_first_in_stock(client):
    product = ProductFactory(slug="pilot-v5", skus=0)
    SKUFactory(product=product, code="V5-BLK", stock=0, position=0)
    SKUFactory(product=product, code="V5-BLU", stock=9, position=1)
    product.refresh_listing_fields()

    html = client.get("/p/pilot-v5/").content.decode()

    assert '<span class="sku-code">V5-BLU</span>' in html


@pytest.mark.parametrize("code", ["NOPE", "sc-blk", "SC-BLK'\"<x>", "SC-OLD"])
def test_an_unknown_or_inactive_variant_shows_the_lead_sku_with_a_notice(client, code):
    product = _three_variant_pen()
    SKUFactory(product=product, code="SC-OLD", is_active=False)

    response = client.get("/p/sarasa-clip/", {"sku": code})

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<p class="notice" role="status">That variant is not sold here (any more). '
        "Showing 0.5 mm, Black instead; the other variants are listed below.</p>"
    ) in html
    assert '<span class="sku-code">SC-BLK</span>' in html
    assert "SC-OLD" not in html
    assert "<x>" not in html


def test_a_blank_variant_is_the_same_as_none(client):
    _three_variant_pen()

    html = client.get("/p/sarasa-clip/?sku=").content.decode()

    assert "not sold here" not in html
    assert '<span class="sku-code">SC-BLK</span>' in html


def test_price_range_shows_only_when_variants_differ(client):
    _three_variant_pen()
    ProductFactory(slug="same-price", skus=2)

    varied = client.get("/p/sarasa-clip/").content.decode()
    same = client.get("/p/same-price/").content.decode()

    assert '<span class="price-range">Variants from $2.50 to $2.75</span>' in varied
    assert "price-range" not in same


def test_a_single_variant_product_names_its_variant_without_a_picker(client):
    ProductFactory(slug="one", skus=1, skus__tip_size="0.38 mm", skus__ink_colour="Blue-black")

    html = client.get("/p/one/").content.decode()

    assert '<p class="variant-single">0.38 mm, Blue-black</p>' in html
    assert "variant-picker" not in html


def _retire_skus_behind_the_listing_fields() -> None:
    product = ProductFactory(slug="gone", skus=1)
    # A bulk update skips refresh_listing_fields, so the product still looks buyable.
    SKU.objects.filter(product=product).update(is_active=False)


@pytest.mark.parametrize(
    "make",
    [
        lambda: None,
        lambda: ProductFactory(slug="gone", is_active=False),
        _retire_skus_behind_the_listing_fields,
    ],
    ids=["unknown", "inactive product", "no active sku"],
)
def test_missing_products_get_the_shops_404(client, make):
    make()

    response = client.get("/p/gone/")

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    html = response.content.decode()
    assert "<title>Page not found · Bungu</title>" in html
    assert '<h1 id="error-title">We could not find that page</h1>' in html


def test_specs_that_are_not_label_value_pairs_are_skipped(client):
    ProductFactory(slug="odd", specs=[["Body", "Brass"], ["lonely"], "text", ["", "x"], [1, 2]])

    html = client.get("/p/odd/").content.decode()

    assert re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', html) == [
        ("Body", "Brass"),
        ("1", "2"),
    ]


def test_photos_of_the_chosen_variant_come_first(client):
    product = _three_variant_pen()
    blue = product.skus.get(code="SC-BLU")
    ProductImage.objects.create(product=product, image="products/box.jpg", alt_text="The box")
    ProductImage.objects.create(
        product=product, sku=blue, image="products/blue.jpg", alt_text="The blue pen"
    )

    blue_html = client.get("/p/sarasa-clip/?sku=SC-BLU").content.decode()
    black_html = client.get("/p/sarasa-clip/").content.decode()

    assert re.findall(r'<img[^>]*src="/media/products/(\w+)\.jpg" alt="([^"]*)"', blue_html) == [
        ("blue", "The blue pen"),
        ("box", "The box"),
    ]
    assert re.findall(r'<img[^>]*src="/media/products/(\w+)\.jpg"', black_html) == ["box"]
    assert "/art/" not in black_html.split('class="product-media"', 1)[1].split("</div>", 1)[0]


def test_json_ld_lists_an_offer_per_sku(client):
    _three_variant_pen()

    data = _json_ld(client.get("/p/sarasa-clip/").content.decode())

    assert data["@type"] == "Product"
    assert data["name"] == "Sarasa Clip"
    assert data["url"] == "http://testserver/p/sarasa-clip/"
    assert data["image"] == ["http://testserver/art/SC-BLK.svg"]
    assert data["sku"] == "SC-BLK"
    assert [
        (o["sku"], o["price"], o["priceCurrency"], o["availability"], o["url"])
        for o in data["offers"]
    ] == [
        (
            "SC-BLK",
            "2.50",
            "USD",
            "https://schema.org/InStock",
            "http://testserver/p/sarasa-clip/?sku=SC-BLK",
        ),
        (
            "SC-BLU",
            "2.75",
            "USD",
            "https://schema.org/LimitedAvailability",
            "http://testserver/p/sarasa-clip/?sku=SC-BLU",
        ),
        (
            "SC-RED",
            "2.50",
            "USD",
            "https://schema.org/OutOfStock",
            "http://testserver/p/sarasa-clip/?sku=SC-RED",
        ),
    ]


def test_json_ld_cannot_break_out_of_its_script_element(client):
    hostile = "Pen </script><script>alert(1)</script> & <!-- more"
    ProductFactory(slug="hostile", name=hostile, summary=hostile)

    html = client.get("/p/hostile/").content.decode()

    block = JSON_LD.findall(html)[0]
    assert "<" not in block
    assert ">" not in block
    assert "&" not in block
    assert json.loads(block)["name"] == hostile
    assert "<script>alert(1)</script>" not in html


def test_the_page_is_served_from_the_page_cache_the_second_time(client, django_assert_num_queries):
    _three_variant_pen()
    first = client.get("/p/sarasa-clip/?sku=SC-BLU")

    with django_assert_num_queries(1):  # only the catalogue generation
        second = client.get("/p/sarasa-clip/?sku=SC-BLU")

    assert first["X-Bungu-Page-Cache"] == "miss"
    assert second["X-Bungu-Page-Cache"] == "hit"
    # Equal but for the CSRF token in the add-to-cart form, masked afresh on every response.
    masked = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert masked.sub(b"", second.content) == masked.sub(b"", first.content)


@pytest.mark.parametrize("sku_count", [1, 30])
def test_query_count_does_not_grow_with_the_number_of_skus(
    client, django_assert_num_queries, sku_count
):
    parent = CategoryFactory(slug="paper")
    product = ProductFactory(slug="many", category__parent=parent, skus=sku_count)
    ProductImage.objects.create(product=product, image="products/a.jpg", alt_text="A")
    # The generation for the page cache; the product, its SKUs, its photos, its category path;
    # the generation, the top categories and their children for the navigation.
    with django_assert_num_queries(8):
        response = client.get("/p/many/")

    assert response.status_code == 200
    assert response.content.decode().count('<a href="?sku=') == (sku_count if sku_count > 1 else 0)
    assert Decimal(_json_ld(response.content.decode())["offers"][0]["price"]) == Decimal("3.50")


def test_a_signed_in_customers_page_costs_the_same_with_1_or_10_wish_lists(client, settings):
    settings.BUNGU_PAGE_CACHE_SECONDS = 0  # measure the page, not the cache
    few, many = CustomerFactory(), CustomerFactory()
    WishListFactory(owner=few)
    for _ in range(10):
        WishListFactory(owner=many)
    product = ProductFactory()
    counts = []
    for customer in (few, many):
        client.force_login(customer)
        client.get(product.get_absolute_url())  # warms the per-process caches
        with CaptureQueriesContext(connection) as queries:
            html = client.get(product.get_absolute_url()).content.decode()
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert html.count('<option value="') == 10
