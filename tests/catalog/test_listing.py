"""The listing engine: parsing the query string, filters, facet counts, sorting, pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from bungu.catalog.listing import (
    PageOutOfRange,
    brand_scope,
    browse_all_scope,
    list_products,
)
from bungu.catalog.listing_query import (
    BROWSE_SORTS,
    SEARCH_SORTS,
    Filters,
    ListingQuery,
    parse_listing_query,
)
from tests.catalog.factories import BrandFactory, ProductFactory, ProductTypeFactory, SKUFactory


def parse(query_string: str, sorts=BROWSE_SORTS) -> ListingQuery:
    return parse_listing_query(QueryDict(query_string), sorts=sorts)


def listing_for(query_string: str = "", *, scope=None, page_size: int = 50):
    return list_products(
        scope=scope or browse_all_scope(),
        query=parse(query_string),
        sorts=BROWSE_SORTS,
        page_size=page_size,
    )


def names(listing) -> list[str]:
    return [card.name for card in listing.products]


def facet(listing, name: str) -> dict[str, int]:
    for group in listing.facets:
        if group.name == name:
            return {option.value: option.count for option in group.options}
    return {}


# ---------------------------------------------------------------- parsing


def test_parse_reads_every_filter():
    query = parse(
        "brand=pilot&brand=zebra&type=gel-pen&tip=0.5+mm&ink=Black&ink=Blue&price=5-10"
        "&price_min=2&price_max=30.5&in_stock=1&sort=price-asc&page=3"
    )
    assert query.filters == Filters(
        brand=("pilot", "zebra"),
        type=("gel-pen",),
        tip=("0.5 mm",),
        ink=("Black", "Blue"),
        price="5-10",
        price_min=Decimal("2.00"),
        price_max=Decimal("30.50"),
        in_stock=True,
    )
    assert query.sort == "price-asc"
    assert query.page == 3
    assert query.notices == ()


@pytest.mark.parametrize(
    ("query_string", "notice"),
    [
        ("price_min=abc", "Ignored the filter minimum price “abc”: that is not an amount."),
        ("price_max=-4", "Ignored the filter maximum price “-4”: that is not a price we sell at."),
        (
            "price_min=NaN",
            "Ignored the filter minimum price “NaN”: that is not a price we sell at.",
        ),
        ("price=cheap", "Ignored the filter price “cheap”: choose one of the listed price ranges."),
        ("brand=Not+A+Slug", "Ignored the filter brand “Not A Slug”: that is not a valid name."),
        ("ink=%00black", "Ignored the filter ink “\x00black”: that is not a valid value."),
        (
            "in_stock=maybe",
            "Ignored the filter in stock “maybe”: use 1 to show only products in stock.",
        ),
        ("sort=drop+table", "Ignored the sort order “drop table”: it is not one we offer."),
        ("page=-3", "Ignored the page number “-3”: showing the first page."),
        ("page=abc", "Ignored the page number “abc”: showing the first page."),
        ("page=0", "Ignored the page number “0”: showing the first page."),
        (
            "price_min=9&price_max=3",
            "Ignored the price range $9.00 to $3.00: the minimum is above the maximum.",
        ),
    ],
)
def test_parse_turns_bad_values_into_notices(query_string, notice):
    query = parse(query_string)
    assert query.notices == (notice,)
    assert query.filters == Filters()
    assert query.sort == "name"
    assert query.page == 1


def test_parse_caps_absurd_page_numbers_without_building_huge_integers():
    assert parse("page=99999999999999999999").page == 10**9
    assert parse("page=" + "9" * 5000).page == 10**9


def test_parse_defaults_to_relevance_for_search():
    assert parse("", sorts=SEARCH_SORTS).sort == "relevance"
    assert parse("sort=relevance", sorts=BROWSE_SORTS).sort == "name"


def test_parse_ignores_duplicates_and_empty_values():
    assert parse("brand=pilot&brand=pilot&brand=").filters.brand == ("pilot",)


# ---------------------------------------------------------------- filters and facets


@pytest.fixture
def shelf():
    """Five products over two brands, two types, inks, tips and prices."""
    pilot = BrandFactory(name="Pilot", slug="pilot")
    zebra = BrandFactory(name="Zebra", slug="zebra")
    gel = ProductTypeFactory(name="Gel pen", slug="gel-pen")
    fountain = ProductTypeFactory(name="Fountain pen", slug="fountain-pen")
    juice = ProductFactory(name="Juice", brand=pilot, product_type=gel, skus=0)
    SKUFactory(product=juice, ink_colour="Black", tip_size="0.5 mm", price=Decimal("2.00"))
    SKUFactory(product=juice, ink_colour="Blue", tip_size="0.38 mm", price=Decimal("2.50"))
    juice.refresh_listing_fields()
    ProductFactory(
        name="Kakuno",
        brand=pilot,
        product_type=fountain,
        skus__ink_colour="Blue",
        skus__tip_size="F",
        skus__price=Decimal("14.00"),
    )
    ProductFactory(
        name="Sarasa",
        brand=zebra,
        product_type=gel,
        skus__ink_colour="Black",
        skus__tip_size="0.5 mm",
        skus__price=Decimal("3.00"),
    )
    ProductFactory(
        name="Blen",
        brand=zebra,
        product_type=gel,
        skus__ink_colour="Blue",
        skus__tip_size="0.5 mm",
        skus__price=Decimal("4.00"),
        skus__stock=0,
    )
    ProductFactory(
        name="Retired",
        brand=zebra,
        product_type=gel,
        is_active=False,
        skus__ink_colour="Black",
    )
    return {"pilot": pilot, "zebra": zebra}


@pytest.mark.django_db
def test_unfiltered_facets_count_every_visible_product(shelf):
    listing = listing_for()
    assert listing.total == 4
    assert names(listing) == ["Blen", "Juice", "Kakuno", "Sarasa"]
    assert facet(listing, "brand") == {"pilot": 2, "zebra": 2}
    assert facet(listing, "type") == {"fountain-pen": 1, "gel-pen": 3}
    assert facet(listing, "ink") == {"Black": 2, "Blue": 3}
    assert facet(listing, "tip") == {"0.38 mm": 1, "0.5 mm": 3, "F": 1}
    assert facet(listing, "price") == {"under-5": 3, "10-25": 1}
    assert listing.in_stock_count == 3


@pytest.mark.django_db
def test_facet_counts_apply_the_other_filters_but_not_their_own(shelf):
    listing = listing_for("brand=pilot&ink=Blue")
    assert names(listing) == ["Juice", "Kakuno"]
    # Brand counts under ink=Blue; ink counts under brand=pilot.
    assert facet(listing, "brand") == {"pilot": 2, "zebra": 1}
    assert facet(listing, "ink") == {"Black": 1, "Blue": 2}
    assert facet(listing, "type") == {"fountain-pen": 1, "gel-pen": 1}


@pytest.mark.django_db
def test_tip_and_ink_must_meet_on_one_variant(shelf):
    # Juice sells black 0.5 mm and blue 0.38 mm, but no blue 0.5 mm.
    listing = listing_for("ink=Blue&tip=0.5+mm")
    assert names(listing) == ["Blen"]
    assert facet(listing, "tip") == {"0.38 mm": 1, "0.5 mm": 1, "F": 1}
    assert facet(listing, "ink") == {"Black": 2, "Blue": 1}


@pytest.mark.django_db
def test_filters_combine(shelf):
    assert names(listing_for("type=gel-pen&price=under-5&in_stock=1")) == ["Juice", "Sarasa"]
    assert names(listing_for("brand=pilot&brand=zebra&price_min=3&price_max=14")) == [
        "Blen",
        "Kakuno",
        "Sarasa",
    ]
    assert names(listing_for("in_stock=1&brand=zebra")) == ["Sarasa"]


@pytest.mark.django_db
def test_unknown_values_are_ignored_with_a_notice(shelf):
    listing = listing_for("brand=nosuch&ink=Blue")
    assert names(listing) == ["Blen", "Juice", "Kakuno"]
    assert listing.filters.brand == ()
    assert listing.notices == (
        "Ignored the filter brand “nosuch”: no brand of that name among these products.",
    )
    assert facet(listing, "brand") == {"pilot": 2, "zebra": 1}


@pytest.mark.django_db
def test_an_unknown_value_beside_a_known_one_is_dropped(shelf):
    listing = listing_for("ink=Blue&ink=Purple")
    assert names(listing) == ["Blen", "Juice", "Kakuno"]
    assert listing.filters.ink == ("Blue",)
    assert listing.notices == (
        "Ignored the filter ink “Purple”: no ink of that name among these products.",
    )


@pytest.mark.django_db
def test_brand_page_fixes_the_brand_facet(shelf):
    listing = listing_for("brand=zebra", scope=brand_scope(shelf["pilot"]))
    assert names(listing) == ["Juice", "Kakuno"]
    assert facet(listing, "brand") == {}
    assert listing.notices == ("Ignored the filter brand: this page lists one already.",)


# ---------------------------------------------------------------- sorting and pages


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Blen", "Juice", "Kakuno", "Sarasa"]),
        ("price-asc", ["Juice", "Sarasa", "Blen", "Kakuno"]),
        ("price-desc", ["Kakuno", "Blen", "Sarasa", "Juice"]),
        ("newest", ["Blen", "Sarasa", "Kakuno", "Juice"]),
    ],
)
def test_sort_orders(shelf, sort, expected):
    assert names(listing_for(f"sort={sort}")) == expected


@pytest.mark.django_db
def test_pages_split_the_listing(shelf):
    first = listing_for("page=1", page_size=3)
    second = listing_for("page=2", page_size=3)
    assert (first.num_pages, first.first_index, first.last_index) == (2, 1, 3)
    assert names(first) == ["Blen", "Juice", "Kakuno"]
    assert names(second) == ["Sarasa"]
    assert (second.first_index, second.last_index) == (4, 4)
    assert second.previous_url == "?"
    assert first.next_url == "?page=2"


@pytest.mark.django_db
def test_a_page_past_the_last_is_out_of_range(shelf):
    with pytest.raises(PageOutOfRange):
        listing_for("page=3", page_size=3)


@pytest.mark.django_db
def test_an_empty_listing_has_one_empty_page():
    listing = listing_for()
    assert (listing.total, listing.num_pages, listing.products) == (0, 1, [])


@pytest.mark.django_db
def test_page_links_keep_filters_and_sort_and_gap_long_runs(shelf):
    listing = listing_for("brand=zebra&sort=price-asc&page=1", page_size=1)
    assert [(link.number, link.url, link.current) for link in listing.page_links] == [
        (1, "?brand=zebra&sort=price-asc", True),
        (2, "?brand=zebra&sort=price-asc&page=2", False),
    ]
    assert listing.canonical_query == "?brand=zebra"
    ProductFactory.create_batch(8, brand=shelf["zebra"])
    long = listing_for("brand=zebra&page=6", page_size=1)
    assert [link.number for link in long.page_links] == [1, None, 4, 5, 6, 7, 8, None, 10]
