"""Facet counts checked against a plain Python computation over a mixed catalogue."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from bungu.catalog.listing import brand_scope, browse_all_scope, list_products
from bungu.catalog.listing_query import BANDS_BY_KEY, BROWSE_SORTS, PRICE_BANDS, parse_listing_query
from bungu.catalog.models import SKU, Product
from tests.catalog.factories import BrandFactory, ProductFactory, ProductTypeFactory, SKUFactory

TIPS = ["0.38 mm", "0.5 mm", "F", ""]
INKS = ["Black", "Blue", "Red", ""]
PRICES = ["2.00", "4.99", "5.00", "9.50", "24.00", "60.00", "120.00"]


@pytest.fixture
def mixed():
    """Forty products over three brands and types: inactive ones, SKUs switched off, SKUs
    with no tip or ink, sold-out variants, and repeated tips or inks within one product."""
    rng = random.Random(20261125)  # noqa: S311 - a repeatable catalogue, not a secret
    brands = [BrandFactory(name=f"Maker {n}", slug=f"maker-{n}") for n in range(3)]
    types = [ProductTypeFactory(name=f"Kind {n}", slug=f"kind-{n}") for n in range(3)]
    for n in range(40):
        product = ProductFactory(
            name=f"Pen {n:02d}",
            brand=rng.choice(brands),
            product_type=rng.choice(types),
            is_active=rng.random() > 0.1,
            skus=0,
        )
        for _ in range(rng.randint(1, 4)):
            SKUFactory(
                product=product,
                tip_size=rng.choice(TIPS),
                ink_colour=rng.choice(INKS),
                price=Decimal(rng.choice(PRICES)),
                stock=rng.choice([0, 3, 20]),
                is_active=rng.random() > 0.15,
            )
        product.refresh_listing_fields()
    return brands


def _reference(query_string: str, *, brand_slug: str | None = None) -> dict[str, dict[str, int]]:
    """The facets as the listing documents them, computed row by row in Python."""
    filters = parse_listing_query(QueryDict(query_string), sorts=BROWSE_SORTS).filters
    products = [
        p
        for p in Product.objects.select_related("brand", "product_type")
        if p.is_active and p.min_price is not None
        if brand_slug is None or p.brand.slug == brand_slug
    ]
    skus: dict[int, list[SKU]] = {p.id: [] for p in products}
    for sku in SKU.objects.filter(is_active=True, product_id__in=list(skus)):
        skus[sku.product_id].append(sku)

    def band_of(price: Decimal) -> str:
        for band in PRICE_BANDS:
            if (band.low is None or price >= band.low) and (band.high is None or price < band.high):
                return band.key
        return ""

    def product_ok(p: Product, skip: str) -> bool:
        assert p.min_price is not None
        return (
            (skip == "brand" or not filters.brand or p.brand.slug in filters.brand)
            and (skip == "type" or not filters.type or p.product_type.slug in filters.type)
            and (skip == "price" or not filters.price or band_of(p.min_price) == filters.price)
            and (filters.price_min is None or p.min_price >= filters.price_min)
            and (filters.price_max is None or p.min_price <= filters.price_max)
            and (skip == "stock" or not filters.in_stock or p.in_stock)
        )

    def variant_ok(sku: SKU, skip: str) -> bool:
        return (skip == "tip" or not filters.tip or sku.tip_size in filters.tip) and (
            skip == "ink" or not filters.ink or sku.ink_colour in filters.ink
        )

    def matches(p: Product, skip: str = "") -> bool:
        has_variant = not (filters.tip or filters.ink) or any(
            variant_ok(s, skip="") for s in skus[p.id]
        )
        return product_ok(p, skip) and has_variant

    counts: dict[str, dict[str, int]] = {
        "total": {"": sum(matches(p) for p in products)},
        "stock": {"": sum(matches(p, "stock") and p.in_stock for p in products)},
    }
    for name, key in (
        ("brand", lambda p: p.brand.slug),
        ("type", lambda p: p.product_type.slug),
        ("price", lambda p: band_of(p.min_price)),
    ):
        counts[name] = {key(p): 0 for p in products}
        for p in products:
            counts[name][key(p)] += matches(p, name)
    for name, column in (("tip", "tip_size"), ("ink", "ink_colour")):
        values = {getattr(s, column) for p in products for s in skus[p.id]} - {""}
        counts[name] = {
            value: sum(
                product_ok(p, "")
                and any(getattr(s, column) == value and variant_ok(s, name) for s in skus[p.id])
                for p in products
            )
            for value in values
        }
    return counts


def _shown(reference: dict[str, int], chosen: tuple[str, ...]) -> dict[str, int]:
    # The listing leaves out options nobody could pick, unless the customer ticked them.
    return {value: n for value, n in reference.items() if n > 0 or value in chosen}


QUERIES = [
    "",
    "brand=maker-0",
    "brand=maker-0&brand=maker-2&type=kind-1",
    "ink=Blue",
    "tip=0.5+mm&ink=Black",
    "tip=F&tip=0.38+mm&ink=Red&ink=Blue",
    "price=5-10",
    "price=under-5&in_stock=1",
    "price_min=4.99&price_max=24",
    "in_stock=1&ink=Black&type=kind-2",
    "brand=maker-1&tip=0.5+mm&price=10-25&in_stock=1",
]


@pytest.mark.django_db
@pytest.mark.parametrize("query_string", QUERIES)
def test_facet_counts_match_a_reference_computation(mixed, query_string):
    listing = list_products(
        scope=browse_all_scope(),
        query=parse_listing_query(QueryDict(query_string), sorts=BROWSE_SORTS),
        sorts=BROWSE_SORTS,
        page_size=100,
    )
    reference = _reference(query_string)
    assert listing.notices == ()
    assert listing.total == reference["total"][""]
    assert len(listing.products) == listing.total
    assert listing.in_stock_count == reference["stock"][""]
    facets = {f.name: {o.value: o.count for o in f.options} for f in listing.facets}
    for name in ("brand", "type", "tip", "ink"):
        assert facets.get(name, {}) == _shown(reference[name], listing.filters.values(name))
    chosen_band = (listing.filters.price,) if listing.filters.price else ()
    bands = {key: n for key, n in reference["price"].items() if key in BANDS_BY_KEY}
    assert facets.get("price", {}) == _shown(bands, chosen_band)


@pytest.mark.django_db
@pytest.mark.parametrize("query_string", ["", "ink=Blue&in_stock=1", "tip=0.5+mm&type=kind-0"])
def test_brand_page_counts_match_a_reference_computation(mixed, query_string):
    brand = mixed[1]
    listing = list_products(
        scope=brand_scope(brand),
        query=parse_listing_query(QueryDict(query_string), sorts=BROWSE_SORTS),
        sorts=BROWSE_SORTS,
        page_size=100,
    )
    reference = _reference(query_string, brand_slug=brand.slug)
    assert listing.total == reference["total"][""]
    assert listing.in_stock_count == reference["stock"][""]
    facets = {f.name: {o.value: o.count for o in f.options} for f in listing.facets}
    assert "brand" not in facets
    for name in ("type", "tip", "ink"):
        assert facets.get(name, {}) == _shown(reference[name], listing.filters.values(name))


@pytest.mark.django_db
def test_the_mixed_catalogue_exercises_every_facet(mixed):
    # A positive control: the reference must see real, non-trivial counts to compare.
    reference = _reference("")
    assert reference["total"][""] > 20
    assert len(reference["tip"]) == 3
    assert len(reference["ink"]) == 3
    assert 0 < reference["stock"][""] < reference["total"][""]


@pytest.mark.django_db
def test_all_facets_are_counted_in_one_query(mixed):
    with CaptureQueriesContext(connection) as context:
        list_products(
            scope=browse_all_scope(),
            query=parse_listing_query(QueryDict("ink=Blue&brand=maker-0"), sorts=BROWSE_SORTS),
            sorts=BROWSE_SORTS,
            page_size=10,
        )
    # One query counts every facet, one reads the page of cards.
    assert len(context.captured_queries) == 2
