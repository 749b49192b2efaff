"""A visitor browses, filters, searches and picks a variant in a real Chromium."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bungu.catalog.search import reindex_products
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductTypeFactory,
    SKUFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_catalogue() -> None:
    pens = CategoryFactory(name="Pens", slug="pens")
    gel = CategoryFactory(name="Gel pens", slug="gel-pens", parent=pens)
    gel_pen = ProductTypeFactory(name="Gel pen", slug="gel-pen")
    pilot = BrandFactory(name="Pilot", slug="pilot")
    zebra = BrandFactory(name="Zebra", slug="zebra")
    for name, brand in [("Juice Up", pilot), ("G-2", pilot), ("Sarasa Clip", zebra)]:
        product = ProductFactory(
            name=name,
            slug=name.lower().replace(" ", "-"),
            brand=brand,
            category=gel,
            product_type=gel_pen,
            skus=0,
            is_featured=True,
        )
        for position, (ink, price) in enumerate([("Black", "2.50"), ("Blue", "2.75")]):
            SKUFactory(
                product=product,
                code=f"{brand.slug.upper()}-{product.slug.upper()}-{ink.upper()}",
                ink_colour=ink,
                tip_size="0.5 mm",
                price=Decimal(price),
                position=position,
            )
        product.refresh_listing_fields()
    reindex_products()


def test_visitor_browses_filters_searches_and_picks_a_variant(
    page, screenshot, small_catalogue
) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Pens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pens")
    expect(page.locator(".product-card")).to_have_count(3)
    screenshot(page, "1-category")

    page.get_by_label(re.compile(r"^Zebra")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"brand=zebra"))
    expect(page.locator(".product-card")).to_have_count(1)
    expect(page.locator(".product-card")).to_contain_text("Sarasa Clip")
    screenshot(page, "2-filtered")

    page.get_by_role("searchbox", name="Search the shop").fill("juice")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/search/\?q=juice"))
    expect(page.locator(".product-card")).to_have_count(1)
    screenshot(page, "3-search")

    page.locator(".product-card").get_by_role("link", name=re.compile("Juice Up")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Juice Up")
    page.get_by_role("link", name=re.compile(r"Blue")).click()
    expect(page).to_have_url(re.compile(r"\?sku=PILOT-JUICE-UP-BLUE"))
    expect(page.locator('.variant[aria-current="true"]')).to_contain_text("Blue")
    expect(page.locator("main")).to_contain_text("$2.75")
    screenshot(page, "4-product-variant")
