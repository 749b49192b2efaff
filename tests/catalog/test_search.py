"""Full-text search: query parsing, the backends, ranking and keeping documents in step."""

from __future__ import annotations

import pytest

from bungu.catalog.listing import list_products, search_scope
from bungu.catalog.listing_query import SEARCH_SORTS, Filters, ListingQuery
from bungu.catalog.models import Product, SearchDocument
from bungu.catalog.search import MAX_QUERY_CHARS, MAX_TERMS, parse_query, reindex_products
from tests.catalog.factories import BrandFactory, ProductFactory, ProductTypeFactory


def found(text: str) -> list[str]:
    query = parse_query(text)
    return sorted(search_scope(query).products.values_list("name", flat=True))


def test_parse_query_keeps_words_and_drops_syntax():
    query = parse_query('  Pilot "G-2" AND (NEAR*) -ink: 0.5  ')
    assert query.terms == ("pilot", "g", "2", "and", "near", "ink", "0.5")
    assert query.text == 'Pilot "G-2" AND (NEAR*) -ink: 0.5'
    assert query.prefix_last is True


def test_parse_query_of_only_punctuation_is_not_searchable():
    query = parse_query('"*()-:^\'"')
    assert query.terms == ()
    assert query.is_searchable is False
    assert query.text == '"*()-:^\'"'


def test_parse_query_removes_control_characters_and_cuts_long_input():
    query = parse_query("pen\x00\x01cil\t" + "x" * 5000)
    assert "\x00" not in query.text
    assert query.terms[:2] == ("pen", "cil")
    assert len(query.text) == MAX_QUERY_CHARS


def test_parse_query_keeps_at_most_max_terms():
    query = parse_query(" ".join(f"w{n}" for n in range(50)))
    assert len(query.terms) == MAX_TERMS


def test_parse_query_does_not_prefix_a_single_letter():
    assert parse_query("pen a").prefix_last is False
    assert parse_query("pen ab").prefix_last is True


@pytest.mark.django_db
def test_search_finds_by_name_brand_type_code_and_ink():
    pilot = BrandFactory(name="Pilot", slug="pilot")
    ProductFactory(
        name="Juice Up", brand=pilot, skus=1, skus__code="JU-REDX", skus__ink_colour="Crimson"
    )
    ProductFactory(
        name="Kaweco Sport",
        product_type=ProductTypeFactory(name="Fountain pen", slug="fountain-pen"),
    )
    reindex_products()
    assert found("pilot") == ["Juice Up"]
    assert found("crimson") == ["Juice Up"]
    assert found("JU-REDX") == ["Juice Up"]
    assert found("fountain") == ["Kaweco Sport"]
    assert found("juice kaweco") == []


@pytest.mark.django_db
def test_search_matches_a_prefix_of_the_last_word_and_stems():
    ProductFactory(name="Pilot Juice", description="Smooth writing.")
    reindex_products()
    assert found("pil") == ["Pilot Juice"]
    assert found("smooth writes") == ["Pilot Juice"]


@pytest.mark.django_db
def test_search_ranks_a_name_match_above_a_description_match():
    ProductFactory(name="Plain notebook", description="Pairs well with a Sarasa pen.")
    ProductFactory(name="Sarasa Clip", description="A gel pen.")
    reindex_products()
    query = parse_query("sarasa")
    listing = list_products(
        scope=search_scope(query),
        query=ListingQuery(filters=Filters(), sort="relevance", page=1),
        sorts=SEARCH_SORTS,
        page_size=10,
    )
    assert [card.name for card in listing.products] == ["Sarasa Clip", "Plain notebook"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"unbalanced',
        "pen AND OR NOT",
        "NEAR(pen ink, 2)",
        "pen*",
        "*",
        "-pen",
        "name:pen",
        "pen & ink | !paper",
        "pen:*",
        "'; DROP TABLE catalog_product; --",
        "\\",
        "%_%",
        "ペン",
        "0.5 mm",
    ],
)
def test_search_syntax_abuse_never_fails(text):
    ProductFactory(name="Energel pen")
    reindex_products()
    query = parse_query(text)
    if query.is_searchable:
        list(search_scope(query).products)


@pytest.mark.django_db
def test_reindex_follows_renames_and_deletions():
    product = ProductFactory(name="Blue Ink")
    reindex_products([product.id])
    assert found("blue") == ["Blue Ink"]

    Product.objects.filter(id=product.id).update(name="Green Ink")
    reindex_products([product.id])
    assert found("blue") == []
    assert found("green") == ["Green Ink"]

    product.delete()
    assert SearchDocument.objects.count() == 0
    assert found("green") == []


@pytest.mark.django_db
def test_reindex_of_everything_builds_every_document():
    ProductFactory.create_batch(3)
    reindex_products()
    assert SearchDocument.objects.count() == 3


@pytest.mark.django_db
def test_a_document_written_directly_is_indexed():
    product = ProductFactory(name="Untouched")
    SearchDocument.objects.create(product=product, name="Zebra Mildliner", keywords="", body="")
    assert found("mildliner") == ["Untouched"]
    SearchDocument.objects.filter(product=product).update(name="Something else")
    assert found("mildliner") == []


@pytest.mark.django_db
def test_search_leaves_out_inactive_products():
    ProductFactory(name="Retired Pen", is_active=False)
    reindex_products()
    assert found("retired") == []
