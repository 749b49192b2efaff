"""The listings' facet table (``ListingEntry``) stays in step with the catalogue on every way
the catalogue changes: each test changes the catalogue one way and compares the table with
the rows computed afresh, in Python, from the products, SKUs and categories."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from bungu.catalog import services
from bungu.catalog.csv_import import import_catalog_csv
from bungu.catalog.listing import category_scope, list_products
from bungu.catalog.listing_query import BROWSE_SORTS, parse_listing_query
from bungu.catalog.models import SKU, Category, ListingEntry, Product
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductTypeFactory,
    SKUFactory,
)
from tests.catalog.test_csv import csv_bytes, row

Entry = tuple[str, str, str, int, int, int, Decimal, bool]


def expected_entries() -> set[Entry]:
    """The table as its documentation defines it, computed row by row."""
    paths = dict(Category.objects.values_list("path", "id"))
    rows: set[Entry] = set()
    for product in Product.objects.select_related("category"):
        if not product.is_active or product.min_price is None:
            continue
        parts = product.category.path.split("/")
        scopes = {"*", f"b:{product.brand_id}"}
        scopes |= {f"c:{paths['/'.join(parts[: n + 1])]}" for n in range(len(parts))}
        values = {("p", "")}
        for sku in SKU.objects.filter(product=product, is_active=True):
            values |= {("t", sku.tip_size)} if sku.tip_size else set()
            values |= {("i", sku.ink_colour)} if sku.ink_colour else set()
        for scope in scopes:
            for kind, value in values:
                rows.add(
                    (
                        scope,
                        kind,
                        value,
                        product.id,
                        product.brand_id,
                        product.product_type_id,
                        product.min_price,
                        product.in_stock,
                    )
                )
    return rows


def stored_entries() -> set[Entry]:
    stored = list(
        ListingEntry.objects.values_list(
            "scope",
            "kind",
            "value",
            "product_id",
            "brand_id",
            "product_type_id",
            "min_price",
            "in_stock",
        )
    )
    assert len(stored) == len(set(stored)), "an entry is stored twice"
    return set(stored)


def assert_in_step() -> None:
    expected, stored = expected_entries(), stored_entries()
    assert stored == expected, {"missing": expected - stored, "stale": stored - expected}


@pytest.fixture
def shop(db):
    """pens > gel pens > fine gel pens, two brands, three products with several variants."""
    pens = CategoryFactory(name="Pens", slug="pens")
    gel = CategoryFactory(name="Gel pens", slug="gel-pens", parent=pens)
    fine = CategoryFactory(name="Fine", slug="fine", parent=gel)
    pilot, zebra = BrandFactory(slug="pilot"), BrandFactory(slug="zebra")
    kind = ProductTypeFactory(slug="gel-pen")
    juice = ProductFactory(slug="juice", brand=pilot, category=fine, product_type=kind, skus=0)
    SKUFactory(product=juice, code="JU-1", tip_size="0.5 mm", ink_colour="Black")
    SKUFactory(product=juice, code="JU-2", tip_size="0.5 mm", ink_colour="Blue", stock=0)
    SKUFactory(product=juice, code="JU-3", tip_size="0.38 mm", ink_colour="", is_active=False)
    juice.refresh_listing_fields()
    sarasa = ProductFactory(slug="sarasa", brand=zebra, category=gel, product_type=kind, skus=0)
    SKUFactory(product=sarasa, code="SA-1", tip_size="0.7 mm", ink_colour="Red", stock=1)
    sarasa.refresh_listing_fields()
    ProductFactory(slug="hidden", brand=zebra, category=pens, is_active=False)
    return {"pens": pens, "gel": gel, "fine": fine, "juice": juice, "sarasa": sarasa}


def test_the_table_holds_every_visible_product_in_each_of_its_scopes(shop):
    juice = shop["juice"]
    scopes = set(
        ListingEntry.objects.filter(product=juice, kind="p").values_list("scope", flat=True)
    )
    assert scopes == {
        "*",
        f"b:{juice.brand_id}",
        f"c:{shop['pens'].id}",
        f"c:{shop['gel'].id}",
        f"c:{shop['fine'].id}",
    }
    tips = ListingEntry.objects.filter(product=juice, kind="t", scope="*")
    assert sorted(tips.values_list("value", flat=True)) == ["0.5 mm"]  # the 0.38 is inactive
    assert not ListingEntry.objects.filter(product__slug="hidden").exists()
    assert_in_step()


def test_the_check_catches_a_stale_table(shop):
    """Positive control: a change that bypasses every hook leaves the table stale, and both
    the comparison and the facet counts show it."""
    Product.objects.filter(id=shop["sarasa"].id).update(in_stock=False)
    with pytest.raises(AssertionError, match="missing"):
        assert_in_step()
    query = parse_listing_query(QueryDict("in_stock=1"), sorts=BROWSE_SORTS)
    listing = list_products(
        scope=category_scope(shop["pens"]), query=query, sorts=BROWSE_SORTS, page_size=24
    )
    # The count still says two in stock while the products list shows only one.
    assert (listing.in_stock_count, listing.total, len(listing.products)) == (2, 2, 1)


def test_a_price_change_through_a_sku_save(shop):
    sku = SKU.objects.get(code="SA-1")
    sku.price = Decimal("77.00")
    sku.save()
    shop["sarasa"].refresh_listing_fields()
    assert_in_step()
    assert set(
        ListingEntry.objects.filter(product=shop["sarasa"]).values_list("min_price", flat=True)
    ) == {Decimal("77.00")}


def test_a_stock_change_through_the_stock_services(shop):
    sku = SKU.objects.get(code="SA-1")
    services.hold_stock(lines={sku.id: 1})  # the last unit: sold out
    assert_in_step()
    assert not ListingEntry.objects.filter(product=shop["sarasa"], in_stock=True).exists()
    services.release_stock(lines={sku.id: 1})
    assert_in_step()
    assert ListingEntry.objects.filter(product=shop["sarasa"], in_stock=True).exists()


def test_a_new_variant_a_changed_variant_and_a_deleted_variant(shop):
    juice = shop["juice"]
    new = SKUFactory(product=juice, code="JU-4", tip_size="1.0 mm", ink_colour="Green")
    assert_in_step()
    new.ink_colour = "Violet"
    new.save()
    assert_in_step()
    SKU.objects.get(code="JU-1").delete()
    assert_in_step()
    juice.refresh_listing_fields()
    assert_in_step()


def test_a_variant_moved_to_another_product(shop):
    sku = SKU.objects.get(code="JU-2")
    sku.product = shop["sarasa"]
    sku.save()
    assert_in_step()


def test_a_new_product_a_withdrawn_product_and_a_deleted_product(shop):
    new = ProductFactory(slug="new", category=shop["gel"])
    assert_in_step()
    assert ListingEntry.objects.filter(product=new).exists()
    sarasa = shop["sarasa"]
    sarasa.is_active = False
    sarasa.save()
    assert_in_step()
    assert not ListingEntry.objects.filter(product=sarasa).exists()
    shop["juice"].delete()
    assert_in_step()


def test_a_product_moved_to_another_category_and_brand(shop):
    juice = shop["juice"]
    juice.category = shop["pens"]
    juice.brand = BrandFactory(slug="uni")
    juice.product_type = ProductTypeFactory(slug="rollerball")
    juice.save()
    assert_in_step()


def test_a_category_moved_under_another(shop):
    inks = CategoryFactory(name="Inks", slug="inks")
    gel = shop["gel"]
    gel.parent = inks
    gel.save()
    assert_in_step()
    assert (
        not ListingEntry.objects.filter(scope=f"c:{shop['pens'].id}", kind="p")
        .exclude(product__slug="hidden")
        .exists()
    )


def test_the_bulk_listing_refresh(shop):
    SKU.objects.filter(code="SA-1").update(stock=0)
    services.refresh_listing_fields_in_bulk(product_ids=[shop["sarasa"].id, shop["juice"].id])
    assert_in_step()


def test_the_csv_import(shop):
    report = import_catalog_csv(
        file=csv_bytes(
            row(),
            row(sku_code="ZE-SRC-02", ink_colour="Blue", tip_size="0.4 mm"),
            row(
                product_slug="sarasa",
                product_name="Sarasa",
                brand="Pilot",
                sku_code="SA-1",
                ink_colour="Orange",
                price="8.00",
            ),
        )
    )
    assert report.products_created == 1
    assert_in_step()


def test_the_admin_sku_form(shop, client):
    from tests.accounts.factories import CustomerFactory  # noqa: PLC0415 - one test needs staff

    client.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    sku = SKU.objects.get(code="SA-1")
    response = client.post(
        f"/admin/catalog/sku/{sku.id}/change/",
        {
            "product": sku.product_id,
            "code": sku.code,
            "tip_size": "0.3 mm",
            "ink_colour": "Sepia",
            "body_colour": "",
            "paper_size": "",
            "pack_size": "1",
            "price": "9.00",
            "stock": "0",
            "weight_grams": "0",
            "is_active": "on",
            "position": "0",
        },
    )
    assert response.status_code == 302
    assert_in_step()


def test_the_demo_loader(db):
    call_command("load_demo_catalog", products=30, seed=3, stdout=_Sink())
    assert ListingEntry.objects.exists()
    assert_in_step()


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("sku_count", [1, 6])
def test_rewriting_a_products_entries_costs_two_queries(db, sku_count, django_assert_num_queries):
    product = ProductFactory(skus=sku_count)
    # Delete, insert ... select; PostgreSQL first locks the product's row.
    locks = 1 if connection.features.has_select_for_update else 0
    with django_assert_num_queries(2 + locks):
        ListingEntry.refresh_for([product.id])
    assert_in_step()
