"""CSV export and import: lossless round trip, and every bad file refused with nothing changed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from bungu.catalog import csv_import, csv_io
from bungu.catalog.csv_import import import_catalog_csv
from bungu.catalog.csv_io import COLUMNS, export_catalog_csv
from bungu.catalog.models import SKU, CatalogState, Product
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductTypeFactory,
    SKUFactory,
)


def export_text() -> str:
    out = io.StringIO()
    export_catalog_csv(out)
    return out.getvalue()


def db_state() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    products = Product.objects.order_by("slug").values_list(
        "slug", "name", "brand__name", "category__path", "product_type__name", "summary",
        "description", "specs", "is_active", "is_featured", "is_for_children", "min_price",
        "max_price", "in_stock", "lead_sku_code",
    )  # fmt: skip
    skus = SKU.objects.order_by("code").values_list(
        "code", "product__slug", "tip_size", "ink_colour", "body_colour", "paper_size",
        "pack_size", "price", "stock", "is_active", "position",
    )  # fmt: skip
    return list(products), list(skus)


@pytest.fixture
def shop(db):
    """A small catalogue: one gel pen with two SKUs under pens/gel-pens."""
    pens = CategoryFactory(name="Pens", slug="pens")
    gel = CategoryFactory(name="Gel pens", slug="gel-pens", parent=pens)
    pilot = BrandFactory(name="Pilot", slug="pilot")
    kind = ProductTypeFactory(name="Gel pen", slug="gel-pen")
    product = ProductFactory(
        name="Pilot Juice Up Gel Pen",
        slug="pilot-juice-up-gel-pen",
        brand=pilot,
        category=gel,
        product_type=kind,
        specs=[["Ink", "Pigment gel"], ["Time", "12:00; noon"]],
        skus=0,
    )
    SKUFactory(product=product, code="PI-JUP-01", tip_size="0.4 mm", price=Decimal("2.75"))
    SKUFactory(product=product, code="PI-JUP-02", tip_size="0.5 mm", stock=0, position=1)
    product.refresh_listing_fields()
    return product


def row(**overrides: str) -> dict[str, str]:
    values = {
        "product_slug": "zebra-sarasa-clip",
        "product_name": "Zebra Sarasa Clip",
        "brand": "Pilot",
        "category_path": "pens/gel-pens",
        "product_type": "gel-pen",
        "summary": "A clip pen.",
        "description": "Writes well.",
        "specs": "Ink: Gel",
        "is_active": "yes",
        "is_featured": "no",
        "is_for_children": "no",
        "sku_code": "ZE-SRC-01",
        "tip_size": "0.5 mm",
        "ink_colour": "Black",
        "body_colour": "",
        "paper_size": "",
        "pack_size": "1",
        "price": "1.90",
        "stock": "12",
        "sku_active": "yes",
    }
    values.update(overrides)
    return values


def csv_bytes(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def errors_of(data: bytes, **limits: int) -> list[str]:
    report = import_catalog_csv(file=data, **limits)
    assert not report.ok
    assert (report.products_created, report.skus_created) == (0, 0)
    return [str(error) for error in report.errors]


# ---------------------------------------------------------------- specs cell


def test_specs_round_trip_with_separators_inside():
    specs = [["Ink", "Gel"], ["Time", "12:00; noon"], ["Path", "a\\b"]]
    cell = csv_io.format_specs(specs)
    assert cell == "Ink: Gel; Time: 12\\:00\\; noon; Path: a\\\\b"
    assert csv_io.parse_specs(cell) == specs


def test_specs_parse_tolerates_spaces_and_trailing_separator():
    assert csv_io.parse_specs(" Ink : Gel ;Tip: 0.5 mm; ") == [["Ink", "Gel"], ["Tip", "0.5 mm"]]
    assert csv_io.parse_specs("") == []


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("Ink Gel", '"Ink Gel" is not written as "Label: value"'),
        (": Gel", 'the item ": Gel" has no label'),
    ],
)
def test_specs_without_labels_are_refused(cell, message):
    with pytest.raises(ValueError, match=message):
        csv_io.parse_specs(cell)


# ---------------------------------------------------------------- export


def test_export_writes_one_row_per_sku(shop):
    rows = list(csv.DictReader(io.StringIO(export_text())))
    assert [r["sku_code"] for r in rows] == ["PI-JUP-01", "PI-JUP-02"]
    first = rows[0]
    assert first["category_path"] == "pens/gel-pens"
    assert first["brand"] == "Pilot"
    assert first["product_type"] == "Gel pen"
    assert first["specs"] == "Ink: Pigment gel; Time: 12\\:00\\; noon"
    assert (first["price"], first["stock"], first["sku_active"]) == ("2.75", "20", "yes")


def test_a_product_without_skus_is_exported_as_one_row(shop):
    ProductFactory(slug="empty-product", brand=shop.brand, category=shop.category,
                   product_type=shop.product_type, skus=0)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(export_text())))
    empty = [r for r in rows if r["product_slug"] == "empty-product"]
    assert len(empty) == 1
    assert all(empty[0][column] == "" for column in csv_io.SKU_COLUMNS)


# ---------------------------------------------------------------- round trip


def test_round_trip_into_an_empty_catalogue_is_lossless(shop):
    ProductFactory(slug="empty-product", brand=shop.brand, category=shop.category,
                   product_type=shop.product_type, skus=0, is_featured=True)  # fmt: skip
    text = export_text()
    before = db_state()
    Product.objects.all().delete()

    report = import_catalog_csv(file=text.encode())

    assert report.ok
    assert (report.products_created, report.skus_created) == (2, 2)
    assert db_state() == before
    assert export_text() == text


@pytest.mark.django_db
def test_round_trip_of_the_demo_catalogue_is_lossless():
    call_command("load_demo_catalog", products=40, stdout=io.StringIO())
    text = export_text()
    before = db_state()
    Product.objects.all().delete()

    report = import_catalog_csv(file=text.encode())

    assert report.ok
    assert report.products_created == 40
    assert db_state() == before
    assert export_text() == text


def test_reimporting_an_export_updates_in_place(shop):
    text = export_text()
    before = db_state()
    report = import_catalog_csv(file=text.encode())
    assert (report.products_created, report.products_updated) == (0, 1)
    assert (report.skus_created, report.skus_updated) == (0, 2)
    assert db_state() == before


def test_import_creates_and_updates_and_refreshes_listings(shop, monkeypatch):
    reindexed = []
    monkeypatch.setattr(csv_import, "reindex_products", lambda ids=None: reindexed.append(ids))
    generation = CatalogState.current()
    data = csv_bytes(
        row(),
        row(sku_code="ZE-SRC-02", price="2.10", stock="0"),
        row(
            product_slug=shop.slug, product_name="Juice Up, renamed", sku_code="PI-JUP-02",
            price="1.25", stock="3",
        ),
    )  # fmt: skip

    report = import_catalog_csv(file=data)

    assert report.summary() == (
        "Imported: 1 products created, 1 updated; 2 SKUs created, 1 updated."
    )
    new = Product.objects.get(slug="zebra-sarasa-clip")
    assert (new.min_price, new.max_price, new.in_stock) == (Decimal("1.90"), Decimal("2.10"), True)
    assert new.lead_sku_code == "ZE-SRC-01"
    assert new.specs == [["Ink", "Gel"]]
    shop.refresh_from_db()
    assert shop.name == "Juice Up, renamed"
    assert (shop.min_price, shop.max_price) == (Decimal("1.25"), Decimal("2.75"))
    assert sorted(reindexed[0]) == sorted([new.id, shop.id])
    assert CatalogState.current() > generation


def test_optional_columns_left_out_keep_their_values(shop):
    columns = ("product_slug", "product_name", "brand", "category_path", "product_type",
               "sku_code", "price", "stock")  # fmt: skip
    data = csv_bytes(
        row(product_slug=shop.slug, product_name=shop.name, sku_code="PI-JUP-01", price="3.00"),
        columns=columns,
    )
    assert import_catalog_csv(file=data).ok
    shop.refresh_from_db()
    sku = SKU.objects.get(code="PI-JUP-01")
    assert shop.specs == [["Ink", "Pigment gel"], ["Time", "12:00; noon"]]
    assert (sku.price, sku.tip_size) == (Decimal("3.00"), "0.4 mm")


# ---------------------------------------------------------------- bad files change nothing


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"brand": "Parker"}, 'Row 2, column brand: there is no brand "Parker"'),
        ({"category_path": "pens/quills"}, "Row 2, column category_path: there is no category"),
        ({"product_type": "quill"}, 'Row 2, column product_type: there is no product type "quill"'),
        ({"price": "abc"}, 'Row 2, column price: "abc" is not a price'),
        ({"price": "-1.00"}, "Row 2, column price: must be more than 0, not -1.00"),
        ({"price": "0"}, "Row 2, column price: must be more than 0, not 0"),
        ({"price": "1.999"}, "Row 2, column price: 1.999 has more than two decimal places"),
        ({"price": "NaN"}, 'Row 2, column price: "NaN" is not a price'),
        ({"stock": "1.5"}, 'Row 2, column stock: "1.5" is not a whole number'),
        ({"stock": "-3"}, "Row 2, column stock: must be at least 0, not -3"),
        ({"pack_size": "0"}, "Row 2, column pack_size: must be at least 1, not 0"),
        ({"is_active": "maybe"}, 'Row 2, column is_active: "maybe" is not yes or no'),
        ({"product_slug": "Not A Slug"}, 'Row 2, column product_slug: "Not A Slug"'),
        ({"sku_code": "lower-case"}, 'Row 2, column sku_code: "lower-case": Use capitals'),
        ({"product_name": ""}, "Row 2, column product_name: is required"),
        ({"specs": "no label here"}, "Row 2, column specs: "),
        ({"tip_size": "x" * 21}, "Row 2, column tip_size: is 21 characters long; the limit is 20"),
        ({"sku_code": "", "price": ""}, "Row 2, column sku_code: is required when"),
    ],
)
def test_a_bad_cell_is_named_and_nothing_changes(shop, overrides, expected):
    before = (db_state(), CatalogState.current())
    errors = errors_of(csv_bytes(row(**overrides)))
    assert len(errors) == 1
    assert errors[0].startswith(expected)
    assert (db_state(), CatalogState.current()) == before


def test_all_bad_rows_are_reported_at_once(shop):
    before = db_state()
    errors = errors_of(
        csv_bytes(row(price="abc"), row(sku_code="ZE-2", stock="many"), row(sku_code="ZE-3"))
    )
    assert errors == [
        'Row 2, column price: "abc" is not a price',
        'Row 3, column stock: "many" is not a whole number',
    ]
    assert db_state() == before


def test_duplicate_sku_codes_are_refused(shop):
    before = db_state()
    errors = errors_of(csv_bytes(row(), row(tip_size="0.7 mm")))
    assert errors == ["Row 3, column sku_code: ZE-SRC-01 also appears on row 2"]
    assert db_state() == before


def test_rows_of_one_product_must_agree(shop):
    before = db_state()
    errors = errors_of(csv_bytes(row(), row(sku_code="ZE-SRC-02", product_name="Other")))
    assert errors == [
        "Row 3, column product_name: differs from row 2 for product zebra-sarasa-clip"
    ]
    assert db_state() == before


def test_a_sku_cannot_move_to_another_product(shop):
    before = db_state()
    errors = errors_of(csv_bytes(row(sku_code="PI-JUP-01")))
    owner = "pilot-juice-up-gel-pen"
    assert errors == [
        f"Row 2, column sku_code: PI-JUP-01 belongs to product {owner}; it cannot move"
    ]
    assert db_state() == before


def test_missing_and_unknown_columns_are_refused(shop):
    before = db_state()
    data = b"product_slug,product_name,colour\nx,y,z\n"
    errors = errors_of(data)
    assert errors[0].startswith("Row 1, column colour: Unknown column.")
    assert errors[1] == (
        "Row 1: Required columns missing: brand, category_path, product_type, sku_code, price, "
        "stock."
    )
    assert db_state() == before


def test_a_short_row_is_refused(shop):
    before = db_state()
    data = csv_bytes(row()) + b"only,three,cells\n"
    assert errors_of(data) == ["Row 3: has 3 cells; the header has 20"]
    assert db_state() == before


@pytest.mark.parametrize(
    ("data", "limits", "message"),
    [
        (b"", {}, "File: The file is empty."),
        (b"  \r\n\r\n", {}, "File: The file is empty."),
        (",".join(COLUMNS).encode() + b"\r\n", {}, "File: The file has a header but no rows."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "File: This is a binary file, not CSV"),
        ("product_slug\ncafé".encode("latin-1"), {}, "File: The file is not UTF-8 text"),
        (b"x" * 101, {"max_bytes": 100}, "File: The file is larger than 100 bytes"),
        (b'a,"b\n', {}, "Row 1: This line is not valid CSV"),
    ],
)
def test_unreadable_files_are_refused(shop, data, limits, message):
    before = db_state()
    errors = errors_of(data, **limits)
    assert errors[0].startswith(message)
    assert db_state() == before


def test_too_many_rows_are_refused(shop):
    data = csv_bytes(row(), row(sku_code="ZE-2"), row(sku_code="ZE-3"))
    assert errors_of(data, max_rows=2) == [
        "File: The file has more than 2 rows; split it into parts."
    ]
    assert import_catalog_csv(file=data, max_rows=3).ok


def test_the_error_list_is_capped(shop):
    data = csv_bytes(*(row(sku_code=f"ZE-{n}", price="abc") for n in range(10)))
    report = import_catalog_csv(file=data, max_errors=3)
    assert len(report.errors) == 3
    assert report.more_errors == 7
    assert report.summary() == "Nothing was imported: 10 problems found."


def test_a_utf8_bom_and_blank_lines_are_fine(shop):
    data = b"\xef\xbb\xbf" + csv_bytes(row()) + b"\r\n,,,\r\n"
    assert import_catalog_csv(file=data).ok
    assert SKU.objects.filter(code="ZE-SRC-01").exists()


# ---------------------------------------------------------------- commands


def test_export_command_writes_a_file_and_stdout(shop, tmp_path):
    target = tmp_path / "catalogue.csv"
    err = io.StringIO()
    call_command("export_catalog", str(target), stderr=err)
    assert target.read_bytes().decode() == export_text()
    assert "Wrote 2 rows" in err.getvalue()

    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    assert out.getvalue() == export_text()


def test_import_command_reports_success(shop, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes(row()))
    out = io.StringIO()
    call_command("import_catalog", str(source), stdout=out)
    assert "1 products created" in out.getvalue()


def test_import_command_fails_with_the_errors(shop, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes(row(price="abc")))
    before = db_state()
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"^Nothing was imported: 1 problem found\.$"):
        call_command("import_catalog", str(source), stderr=err)
    assert 'Row 2, column price: "abc" is not a price' in err.getvalue()
    assert db_state() == before


def test_import_command_with_a_missing_file(shop, tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv: No such file"):
        call_command("import_catalog", str(tmp_path / "missing.csv"))
