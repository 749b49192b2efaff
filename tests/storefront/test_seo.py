"""sitemap.xml and robots.txt."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from bungu.catalog.models import Product
from tests.catalog.factories import BrandFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

SITEMAP_ENTRY = re.compile(r"<url><loc>([^<]+)</loc>(?:<lastmod>([^<]+)</lastmod>)?", re.S)


def _entries(xml: str) -> dict[str, str | None]:
    compact = re.sub(r">\s+<", "><", xml)
    return {loc: lastmod or None for loc, lastmod in SITEMAP_ENTRY.findall(compact)}


def test_sitemap_lists_home_categories_brands_and_visible_products(client):
    pens = CategoryFactory(slug="pens")
    gel = CategoryFactory(slug="gel", parent=pens)
    brand = BrandFactory(slug="pilot")
    product = ProductFactory(slug="juice-up", category=gel, brand=brand)
    ProductFactory(slug="retired", is_active=False, category=gel, brand=brand)
    product.refresh_from_db()

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    # The sitemap writes the shop's local date (TIME_ZONE), not the UTC one.
    lastmod = timezone.localdate(product.updated_at).isoformat()
    assert _entries(response.content.decode()) == {
        "http://testserver/": None,
        "http://testserver/brands/": None,
        "http://testserver/c/pens/": None,
        "http://testserver/c/pens/gel/": lastmod,
        "http://testserver/brands/pilot/": lastmod,
        "http://testserver/p/juice-up/": lastmod,
    }


def test_sitemap_follows_catalogue_changes_despite_the_page_cache(client):
    ProductFactory(slug="first")
    assert "http://testserver/p/second/" not in client.get("/sitemap.xml").content.decode()

    ProductFactory(slug="second")
    Product.objects.filter(slug="first").update(is_active=False)
    ProductFactory(slug="third")  # any save moves the catalogue generation on

    entries = _entries(client.get("/sitemap.xml").content.decode())
    assert "http://testserver/p/second/" in entries
    assert "http://testserver/p/first/" not in entries


def test_robots_txt_allows_the_shop_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "User-agent: *\n"
        "Allow: /\n"
        "Disallow: /admin/\n"
        "Disallow: /search/\n"
        "Sitemap: http://testserver/sitemap.xml\n"
    )


def test_robots_txt_refuses_writes(client):
    assert client.post("/robots.txt").status_code == 405
