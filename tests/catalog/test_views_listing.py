"""Category, brand and search pages over HTTP: rendering, bad input, query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bungu.catalog.search import reindex_products
from tests.catalog.factories import BrandFactory, CategoryFactory, ProductFactory

MAX_QUERIES = 8


@pytest.fixture
def tree():
    pens = CategoryFactory(name="Pens", slug="pens")
    gel = CategoryFactory(name="Gel pens", slug="gel-pens", parent=pens)
    fountain = CategoryFactory(name="Fountain pens", slug="fountain-pens", parent=pens)
    paper = CategoryFactory(name="Paper", slug="paper")
    return {"pens": pens, "gel": gel, "fountain": fountain, "paper": paper}


def body(response) -> str:
    return response.content.decode()


def product_names(response) -> list[str]:
    return re.findall(r'<h3 class="product-card-name">([^<]*)</h3>', body(response))


# ---------------------------------------------------------------- category pages


@pytest.mark.django_db
def test_category_page_lists_the_whole_subtree(client, tree):
    ProductFactory(name="Sarasa", slug="sarasa", category=tree["gel"])
    ProductFactory(name="Kakuno", slug="kakuno", category=tree["fountain"])
    ProductFactory(name="Field Notes", category=tree["paper"])
    response = client.get("/c/pens/")
    assert response.status_code == 200
    assert product_names(response) == ["Kakuno", "Sarasa"]
    html = body(response)
    assert re.findall(r'<a class="product-card-link" href="([^"]*)">', html) == [
        "/p/kakuno/",
        "/p/sarasa/",
    ]
    assert '<a href="/c/pens/gel-pens/">Gel pens</a>' in html
    assert '<a href="/c/pens/fountain-pens/">Fountain pens</a>' in html
    assert '<link rel="canonical" href="http://testserver/c/pens/">' in html


@pytest.mark.django_db
def test_category_page_shows_breadcrumbs(client, tree):
    ProductFactory(name="Sarasa", category=tree["gel"])
    html = body(client.get("/c/pens/gel-pens/"))
    assert '<li><a href="/c/pens/">Pens</a></li>' in html
    assert '<a href="/c/pens/gel-pens/" aria-current="page">Gel pens</a>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/c/nope/", "/c/pens/nope/", "/c/PENS/", "/c/pens/%00/", "/c/a/b/c/d/e/f/g/h/i/j/k/l/m/"],
)
def test_unknown_category_is_the_shops_404(client, tree, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We could not find that page" in body(response)


@pytest.mark.django_db
def test_category_filters_and_canonical_leave_out_sort_and_page(client, tree, settings):
    settings.BUNGU_PAGE_SIZE = 1
    pilot = BrandFactory(name="Pilot", slug="pilot")
    ProductFactory(name="Juice", brand=pilot, category=tree["gel"])
    ProductFactory(name="Kakuno", brand=pilot, category=tree["fountain"])
    ProductFactory(name="Sarasa", category=tree["gel"])
    response = client.get("/c/pens/?brand=pilot&sort=price-desc&page=2")
    assert response.status_code == 200
    # Equal prices fall back to name order.
    assert product_names(response) == ["Kakuno"]
    html = body(response)
    assert '<link rel="canonical" href="http://testserver/c/pens/?brand=pilot">' in html
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2</a>' in html
    assert 'href="?brand=pilot&amp;sort=price-desc" rel="prev"' in html


# ---------------------------------------------------------------- bad input


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("price_min=abc", "Ignored the filter minimum price “abc”: that is not an amount."),
        (
            "brand=nosuch",
            "Ignored the filter brand “nosuch”: no brand of that name among these products.",
        ),
        ("sort=drop+table", "Ignored the sort order “drop table”: it is not one we offer."),
        ("page=-3", "Ignored the page number “-3”: showing the first page."),
        (
            "ink=%3Cscript%3E",
            "Ignored the filter ink “&lt;script&gt;”: no ink of that name among these products.",
        ),
    ],
)
def test_bad_filters_show_a_notice_not_an_error(client, tree, query_string, message):
    ProductFactory(name="Sarasa", category=tree["gel"])
    response = client.get(f"/c/pens/?{query_string}")
    assert response.status_code == 200
    assert f'<p class="notice">{message}</p>' in body(response)
    assert product_names(response) == ["Sarasa"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["2", "99999999999999999999", "9" * 5000])
def test_page_past_the_last_is_the_shops_404(client, tree, page):
    ProductFactory(category=tree["gel"])
    response = client.get(f"/c/pens/?page={page}")
    assert response.status_code == 404
    assert "We could not find that page" in body(response)


# ---------------------------------------------------------------- brands


@pytest.mark.django_db
def test_brand_index_lists_brands_with_visible_product_counts(client):
    pilot = BrandFactory(name="Pilot", slug="pilot")
    BrandFactory(name="Kaweco", slug="kaweco", country="Germany")
    ProductFactory.create_batch(2, brand=pilot)
    ProductFactory(brand=pilot, is_active=False)
    response = client.get("/brands/")
    assert response.status_code == 200
    entries = re.findall(
        r'<a href="/brands/([a-z-]+)/">([^<]+)</a>\s*'
        r'<span class="brand-index-country">([^<]+)</span>'
        r'\s*<span class="brand-index-count">([^<]+)</span>',
        body(response),
    )
    assert entries == [
        ("kaweco", "Kaweco", "Germany", "0 products"),
        ("pilot", "Pilot", "Japan", "2 products"),
    ]


@pytest.mark.django_db
def test_brand_page_lists_its_products_without_a_brand_facet(client):
    pilot = BrandFactory(name="Pilot", slug="pilot", description="Since 1918.")
    ProductFactory(name="Juice", brand=pilot)
    ProductFactory(name="Sarasa")
    response = client.get("/brands/pilot/")
    assert response.status_code == 200
    assert product_names(response) == ["Juice"]
    html = body(response)
    assert "<h1>Pilot</h1>" in html
    assert 'name="brand"' not in html


@pytest.mark.django_db
def test_unknown_brand_is_a_404(client):
    assert client.get("/brands/nosuch/").status_code == 404


# ---------------------------------------------------------------- search


@pytest.mark.django_db
def test_search_page_lists_matches_by_relevance(client):
    ProductFactory(name="Notebook", description="Great with a Sarasa.")
    ProductFactory(name="Sarasa Clip")
    ProductFactory(name="Kakuno")
    reindex_products()
    response = client.get("/search/?q=sarasa")
    assert response.status_code == 200
    assert product_names(response) == ["Sarasa Clip", "Notebook"]
    html = body(response)
    assert "Search results for “sarasa”" in html
    assert '<option value="relevance" selected>Best match</option>' in html
    assert '<input type="hidden" name="q" value="sarasa">' in html


@pytest.mark.django_db
def test_search_with_filters_and_another_sort(client):
    pilot = BrandFactory(name="Pilot", slug="pilot")
    ProductFactory(name="Gel pen B", brand=pilot, skus__price=Decimal("9.00"))
    ProductFactory(name="Gel pen A", brand=pilot, skus__price=Decimal("2.00"))
    ProductFactory(name="Gel pen C")
    reindex_products()
    response = client.get("/search/?q=gel&brand=pilot&sort=price-desc")
    assert product_names(response) == ["Gel pen B", "Gel pen A"]
    assert '<link rel="canonical" href="http://testserver/search/?q=gel&amp;brand=pilot">' in body(
        response
    )


@pytest.mark.django_db
def test_empty_search_browses_everything(client):
    ProductFactory(name="Sarasa")
    response = client.get("/search/")
    assert response.status_code == 200
    assert "<h1>All products</h1>" in body(response)
    assert product_names(response) == ["Sarasa"]


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["!!!", "%00%00", "%22", "()*:-", "%E2%80%94"])
def test_search_with_nothing_searchable_says_so(client, q):
    ProductFactory(name="Sarasa")
    response = client.get(f"/search/?q={q}")
    assert response.status_code == 200
    assert "Nothing to search for" in body(response)
    assert product_names(response) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q", ['"unbalanced', "NEAR(a b)", "pen AND", "%27%3B--", "x" * 5000, "pen:*", "a%00b"]
)
def test_search_abuse_is_a_page_not_an_error(client, q):
    ProductFactory(name="Energel pen")
    reindex_products()
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200


@pytest.mark.django_db
def test_search_text_is_escaped(client):
    response = client.get("/search/", {"q": "<script>alert(1)</script>"})
    html = body(response)
    assert "<script>alert(1)</script>" not in html
    assert "Search results for “&lt;script&gt;alert(1)&lt;/script&gt;”" in html


@pytest.mark.django_db
def test_search_with_no_match_says_so(client):
    ProductFactory(name="Sarasa")
    reindex_products()
    response = client.get("/search/?q=kaweco")
    assert "No products match “kaweco”" in body(response)


# ---------------------------------------------------------------- query counts


def make_catalogue(count: int, tree) -> None:
    brands = [BrandFactory(name=f"Maker {n}", slug=f"maker-{n}") for n in range(3)]
    for n in range(count):
        ProductFactory(
            name=f"Gel pen {n:03d}",
            brand=brands[n % 3],
            category=tree["gel"] if n % 2 else tree["fountain"],
            skus=2,
            skus__ink_colour="Blue" if n % 2 else "Black",
        )
    reindex_products()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Bungu-Page-Cache"] == "miss"
    return len(context.captured_queries)


URLS = [
    "/c/pens/",
    "/c/pens/?brand=maker-1&ink=Blue&price=under-5&in_stock=1&sort=price-desc",
    "/c/pens/?page=2",
    "/c/pens/gel-pens/",
    "/brands/maker-1/?tip=0.5+mm",
    "/search/?q=gel",
    "/search/?q=gel+pen&ink=Black&sort=newest",
    "/search/",
    "/brands/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_the_catalogue(client, tree, settings, url):
    settings.BUNGU_PAGE_SIZE = 2
    make_catalogue(5, tree)
    small = queries_for(client, url)
    make_catalogue(60, tree)
    settings.BUNGU_PAGE_SIZE = 48
    large = queries_for(client, url)
    assert small == large
    assert large <= MAX_QUERIES
