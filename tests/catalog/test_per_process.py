"""What a process keeps per catalogue generation (``CatalogState.per_process``): the category
tree of the navigation and of the category pages is read once, and a change of the
categories shows at once all the same.

Outside a test transaction, as a server runs: values read inside a transaction are never
kept (it could be rolled back), so the usual test transaction would hide the keeping."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bungu.catalog.listing import get_category_family
from bungu.catalog.models import CatalogState
from bungu.catalog.services import list_top_categories
from tests.catalog.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _queries(call):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured.captured_queries)


def test_the_category_tree_is_read_once_per_generation(settings):
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    pens = CategoryFactory(name="Pens", slug="pens")
    CategoryFactory(name="Gel pens", slug="gel-pens", parent=pens)
    CatalogState.forget()

    family, first = _queries(lambda: get_category_family(path="pens"))
    assert [c.slug for c in family.children] == ["gel-pens"]
    assert first == 2  # the generation, the tree
    _, again = _queries(lambda: get_category_family(path="pens/gel-pens"))
    assert again == 0
    top, _ = _queries(list_top_categories)
    _, nav_again = _queries(list_top_categories)
    assert [c.slug for c in top] == ["pens"]
    assert nav_again == 0


def test_a_category_change_shows_at_once_in_the_process_that_made_it(settings):
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    pens = CategoryFactory(name="Pens", slug="pens")
    CatalogState.forget()
    assert get_category_family(path="pens").children == []
    assert [c.name for c in list_top_categories()] == ["Pens"]

    CategoryFactory(name="Brush pens", slug="brush-pens", parent=pens)
    CategoryFactory(name="Paper", slug="paper")

    assert [c.slug for c in get_category_family(path="pens").children] == ["brush-pens"]
    assert sorted(c.name for c in list_top_categories()) == ["Paper", "Pens"]


def test_a_generation_read_inside_a_transaction_is_not_kept(settings):
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    CategoryFactory(name="Pens", slug="pens")
    CatalogState.forget()

    with transaction.atomic():
        get_category_family(path="pens")
    _, after = _queries(lambda: get_category_family(path="pens"))
    assert after == 2
