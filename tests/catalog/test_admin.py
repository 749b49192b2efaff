"""The catalogue's back office: lists, product editing that keeps listings right, CSV in/out."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from bungu.catalog import admin as catalog_admin
from bungu.catalog.models import SKU, Product
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductTypeFactory,
    SKUFactory,
)

EXPORT_URL = "/admin/catalog/product/export-csv/"
IMPORT_URL = "/admin/catalog/product/import-csv/"


@pytest.fixture
def staff_client(client, db):
    user = CustomerFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def reindexed(monkeypatch):
    calls: list[object] = []
    monkeypatch.setattr(catalog_admin, "reindex_products", lambda ids=None: calls.append(ids))
    return calls


def state() -> list[tuple[object, ...]]:
    return list(SKU.objects.order_by("code").values_list("code", "price", "stock", "product__name"))


def test_named_urls():
    assert reverse("admin:catalog_product_export_csv") == EXPORT_URL
    assert reverse("admin:catalog_product_import_csv") == IMPORT_URL


@pytest.mark.parametrize("model", ["brand", "category", "producttype", "product", "sku"])
def test_every_changelist_loads(staff_client, model):
    ProductFactory(skus=2)
    response = staff_client.get(f"/admin/catalog/{model}/")
    assert response.status_code == 200


def test_product_changelist_offers_csv_links_and_searches_by_sku_code(staff_client):
    ProductFactory(name="Findable", skus=0)
    SKUFactory(code="FIND-ME-1", product=ProductFactory(name="Found pen", skus=0))
    response = staff_client.get("/admin/catalog/product/", {"q": "FIND-ME-1"})
    body = response.content.decode()
    assert f'href="{EXPORT_URL}"' in body
    assert f'href="{IMPORT_URL}"' in body
    assert list(response.context["cl"].result_list) == [Product.objects.get(name="Found pen")]


def test_sku_search_by_code(staff_client):
    sku = SKUFactory(code="ZE-SRC-07")
    SKUFactory(code="PI-JUP-01")
    response = staff_client.get("/admin/catalog/sku/", {"q": "ZE-SRC"})
    assert list(response.context["cl"].result_list) == [sku]


def test_product_change_page_shows_its_picture(staff_client):
    product = ProductFactory()
    response = staff_client.get(f"/admin/catalog/product/{product.id}/change/")
    assert response.status_code == 200
    assert f'src="/art/{product.lead_sku_code}.svg"' in response.content.decode()


def test_adding_a_product_with_skus_sets_its_listing_fields(staff_client, reindexed):
    brand = BrandFactory()
    category = CategoryFactory()
    kind = ProductTypeFactory()
    form = {
        "name": "Ohto Horizon",
        "slug": "ohto-horizon",
        "brand": brand.id,
        "category": category.id,
        "product_type": kind.id,
        "summary": "",
        "description": "",
        "specs": "[]",
        "is_active": "on",
        "skus-TOTAL_FORMS": "2",
        "skus-INITIAL_FORMS": "0",
        "skus-0-code": "OH-HRZ-01",
        "skus-0-price": "5.40",
        "skus-0-stock": "0",
        "skus-0-pack_size": "1",
        "skus-0-position": "0",
        "skus-0-is_active": "on",
        "skus-1-code": "OH-HRZ-02",
        "skus-1-price": "6.10",
        "skus-1-stock": "4",
        "skus-1-pack_size": "1",
        "skus-1-position": "1",
        "skus-1-is_active": "on",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    response = staff_client.post("/admin/catalog/product/add/", form)

    assert response.status_code == 302
    product = Product.objects.get(slug="ohto-horizon")
    assert (product.min_price, product.max_price) == (Decimal("5.40"), Decimal("6.10"))
    assert (product.in_stock, product.lead_sku_code) == (True, "OH-HRZ-02")
    assert reindexed == [[product.id]]


def test_editing_a_sku_refreshes_its_product(staff_client, reindexed):
    product = ProductFactory(skus=0)
    sku = SKUFactory(product=product, price=Decimal("3.50"))
    product.refresh_listing_fields()
    response = staff_client.post(
        f"/admin/catalog/sku/{sku.id}/change/",
        {
            "product": product.id,
            "code": sku.code,
            "tip_size": "",
            "ink_colour": "",
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
    product.refresh_from_db()
    assert (product.min_price, product.in_stock) == (Decimal("9.00"), False)
    assert reindexed == [[product.id]]


def test_deleting_products_reindexes_them(staff_client, reindexed):
    products = [ProductFactory(), ProductFactory()]
    ids = [p.id for p in products]
    response = staff_client.post(
        "/admin/catalog/product/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert Product.objects.count() == 0
    assert sorted(reindexed[0]) == sorted(ids)


def test_export_downloads_the_catalogue(staff_client):
    SKUFactory(code="EX-1")
    response = staff_client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bungu-catalogue-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "product_slug"
    assert [r[11] for r in rows[1:]] == ["EX-1"]


def test_export_selected_action(staff_client):
    chosen = SKUFactory(code="CHOSEN-1").product
    SKUFactory(code="OTHER-1")
    response = staff_client.post(
        "/admin/catalog/product/",
        {"action": "export_selected_csv", "_selected_action": [chosen.id]},
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[11] for r in rows[1:]] == ["CHOSEN-1"]


def _upload(text: str, name: str = "catalogue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _export(staff_client) -> str:
    return b"".join(staff_client.get(EXPORT_URL).streaming_content).decode()


def test_import_page_loads(staff_client):
    response = staff_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_import_shows_row_errors_and_changes_nothing(staff_client):
    SKUFactory(code="IMP-1", price=Decimal("3.50"))
    text = _export(staff_client).replace(",3.50,", ",abc,")
    before = state()

    response = staff_client.post(IMPORT_URL, {"file": _upload(text)})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported: 1 problem found." in body
    assert "<td>2</td>" in body
    assert "<td>price</td>" in body
    assert "&quot;abc&quot; is not a price" in body
    assert state() == before


def test_import_of_a_good_file_redirects_with_the_result(staff_client):
    SKUFactory(code="IMP-1", price=Decimal("3.50"))
    text = _export(staff_client).replace(",3.50,", ",4.25,")

    response = staff_client.post(IMPORT_URL, {"file": _upload(text)}, follow=True)

    assert response.redirect_chain == [("/admin/catalog/product/", 302)]
    assert "1 updated; 0 SKUs created, 1 updated." in response.content.decode()
    assert SKU.objects.get(code="IMP-1").price == Decimal("4.25")


def test_import_refuses_a_file_over_the_limit(staff_client, monkeypatch):
    monkeypatch.setattr(catalog_admin, "MAX_BYTES", 50)
    SKUFactory(code="IMP-1")
    before = state()
    response = staff_client.post(IMPORT_URL, {"file": _upload(_export(staff_client))})
    assert response.status_code == 200
    assert "the limit is 50" in response.content.decode()
    assert state() == before


def test_import_without_a_file_asks_for_one(staff_client):
    response = staff_client.post(IMPORT_URL, {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_import_needs_a_signed_in_staff_member(client, db):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    customer = CustomerFactory()
    client.force_login(customer)
    assert client.post(IMPORT_URL, {"file": _upload("x")}).status_code == 302


def test_staff_without_catalogue_rights_are_refused(client, db):
    clerk = CustomerFactory(is_staff=True)
    client.force_login(clerk)
    before = state()
    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": _upload("x")}).status_code == 403
    assert state() == before


def test_import_is_csrf_protected(db):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    assert strict.post(IMPORT_URL, {"file": _upload("x")}).status_code == 403
