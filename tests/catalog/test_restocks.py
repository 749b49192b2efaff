"""``SKU.restocked_at`` records each return to stock (no units available, then some) on
every path that changes stock in the catalogue: a SKU's save, the admin's SKU form, the
stock services and the CSV import. The order paths that call the services are in
``tests/orders/test_restocks.py``. Each test wraps the change in ``restocks_in_step``, which a
change made behind the hooks' back fails (the positive controls at the end)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bungu.catalog import services
from bungu.catalog.csv_import import import_catalog_csv
from bungu.catalog.models import SKU, Product
from bungu.catalog.restocks import came_back_in_stock, record_restocks
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductTypeFactory,
    SKUFactory,
)
from tests.catalog.restock_ledger import restocks_in_step
from tests.catalog.test_csv import csv_bytes, row

pytestmark = pytest.mark.django_db


def restocked_at(sku: SKU) -> datetime.datetime | None:
    return SKU.objects.values_list("restocked_at", flat=True).get(pk=sku.pk)


# ---------------------------------------------------------------- a SKU's save


def test_a_new_sku_has_not_come_back_whatever_its_stock() -> None:
    with restocks_in_step() as seen:
        sku = SKUFactory(stock=7)
        SKUFactory(stock=0)
    assert seen["restocked"] == set()
    assert restocked_at(sku) is None


def test_a_save_that_gives_a_sold_out_sku_stock_records_it() -> None:
    sku = SKUFactory(stock=0)
    sku = SKU.objects.get(pk=sku.pk)
    sku.stock = 4
    with restocks_in_step() as seen:
        sku.save()
    assert seen["restocked"] == {sku.pk}
    # The instance reads the value the database wrote, not the expression it sent.
    assert sku.restocked_at == restocked_at(sku)
    assert sku.restocked_at is not None


def test_a_save_of_only_the_stock_records_it() -> None:
    sku = SKUFactory(stock=0)
    sku.stock = 1
    with restocks_in_step() as seen:
        sku.save(update_fields=["stock"])
    assert seen["restocked"] == {sku.pk}


@pytest.mark.parametrize(("was", "becomes"), [(3, 8), (3, 0), (0, 0), (5, 5)])
def test_a_save_that_does_not_bring_units_back_records_nothing(was: int, becomes: int) -> None:
    sku = SKUFactory(stock=was)
    sku.stock = becomes
    sku.price = Decimal("9.00")
    with restocks_in_step() as seen:
        sku.save()
    assert seen["restocked"] == set()
    assert restocked_at(sku) is None


def test_a_save_reads_what_is_held_from_the_row_not_the_instance() -> None:
    """All 3 units held by a checkout after the instance was read: a save that makes stock 5
    brings 2 back, though the instance still thinks 3 were available."""
    sku = SKUFactory(stock=3)
    stale = SKU.objects.get(pk=sku.pk)
    services.hold_stock(lines={sku.pk: 3})
    stale.stock = 5
    with restocks_in_step() as seen:
        stale.save()
    assert seen["restocked"] == {sku.pk}


def test_a_save_that_leaves_everything_held_records_nothing() -> None:
    sku = SKUFactory(stock=3)
    services.hold_stock(lines={sku.pk: 3})
    sku.refresh_from_db()
    sku.stock = 3
    sku.ink_colour = "Blue"
    with restocks_in_step() as seen:
        sku.save()
    assert seen["restocked"] == set()


def test_the_admin_sku_form(client) -> None:
    client.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    sku = SKUFactory(stock=0, code="SA-1")
    form = {
        "product": sku.product_id,
        "code": sku.code,
        "tip_size": "0.3 mm",
        "ink_colour": "Sepia",
        "body_colour": "",
        "paper_size": "",
        "pack_size": "1",
        "price": "9.00",
        "stock": "6",
        "weight_grams": "0",
        "is_active": "on",
        "position": "0",
    }
    with restocks_in_step() as seen:
        response = client.post(f"/admin/catalog/sku/{sku.pk}/change/", form)
    assert response.status_code == 302
    assert seen["restocked"] == {sku.pk}
    page = client.get(f"/admin/catalog/sku/{sku.pk}/change/").content.decode()
    assert "Restocked at" in page


# ---------------------------------------------------------------- the stock services


def test_releasing_a_hold_on_the_last_units_is_a_return_to_stock() -> None:
    sku = SKUFactory(stock=2)
    with restocks_in_step() as seen:
        services.hold_stock(lines={sku.pk: 2})
    assert seen["restocked"] == set()
    with restocks_in_step() as seen:
        services.release_stock(lines={sku.pk: 1})
    assert seen["restocked"] == {sku.pk}


def test_a_release_that_leaves_units_available_is_no_return() -> None:
    sku = SKUFactory(stock=5)
    services.hold_stock(lines={sku.pk: 2})
    with restocks_in_step() as seen:
        services.release_stock(lines={sku.pk: 2})
    assert seen["restocked"] == set()


def test_taking_the_same_hold_again_is_no_return_to_stock() -> None:
    """A buyer's own hold of the last units, given back and taken again in one change: never
    available to anyone in between, so nothing came back."""
    sku = SKUFactory(stock=2)
    services.hold_stock(lines={sku.pk: 2})
    with restocks_in_step() as seen:
        services.hold_stock(lines={sku.pk: 2}, release={sku.pk: 2})
    assert seen["restocked"] == set()
    with restocks_in_step() as seen:
        services.hold_stock(lines={sku.pk: 1}, release={sku.pk: 2})
    assert seen["restocked"] == {sku.pk}


def test_a_refused_hold_changes_no_mark() -> None:
    sold_out, other = SKUFactory(stock=1), SKUFactory(stock=1)
    services.hold_stock(lines={sold_out.pk: 1, other.pk: 1})
    with restocks_in_step() as seen, pytest.raises(services.OutOfStock):
        services.hold_stock(lines={sold_out.pk: 1}, release={other.pk: 1})
    assert seen["restocked"] == set()


def test_units_back_on_hand_after_a_sell_out() -> None:
    sku = SKUFactory(stock=2)
    services.hold_stock(lines={sku.pk: 2})
    with restocks_in_step() as seen:
        services.consume_stock(lines={sku.pk: 2})  # shipped: none left, none came back
    assert seen["restocked"] == set()
    with restocks_in_step() as seen:
        services.restock(lines={sku.pk: 1})
    assert seen["restocked"] == {sku.pk}
    with restocks_in_step() as seen:
        services.restock(lines={sku.pk: 1})  # already in stock
    assert seen["restocked"] == set()


def test_one_change_of_many_skus_marks_them_in_one_query() -> None:
    skus = [SKUFactory(stock=1) for _ in range(6)]
    lines = {sku.pk: 1 for sku in skus}
    services.hold_stock(lines=lines)
    with CaptureQueriesContext(connection) as queries:
        services.release_stock(lines=lines)
    marks = [q for q in queries.captured_queries if 'SET "restocked_at"' in q["sql"]]
    assert len(marks) == 1
    assert SKU.objects.filter(restocked_at__isnull=False).count() == 6


# ---------------------------------------------------------------- the CSV import


@pytest.fixture
def on_file() -> Product:
    """The product the test CSV rows describe, to be updated by the import."""
    pens = CategoryFactory(name="Pens", slug="pens")
    CategoryFactory(name="Gel pens", slug="gel-pens", parent=pens)
    BrandFactory(name="Pilot", slug="pilot")
    ProductTypeFactory(name="Gel pen", slug="gel-pen")
    return ProductFactory(slug="zebra-sarasa-clip", skus=0)


def _import(codes_and_stock: dict[str, int]) -> None:
    rows = [row(sku_code=code, stock=str(stock)) for code, stock in codes_and_stock.items()]
    report = import_catalog_csv(file=csv_bytes(*rows))
    assert report.ok, report.errors


def test_the_csv_import_marks_the_skus_it_brings_back(on_file: Product) -> None:
    sold_out = SKUFactory(product=on_file, code="ZE-SRC-01", stock=0)
    held = SKUFactory(product=on_file, code="ZE-SRC-02", stock=2)
    services.hold_stock(lines={held.pk: 2})
    always = SKUFactory(product=on_file, code="ZE-SRC-03", stock=4)
    stays_out = SKUFactory(product=on_file, code="ZE-SRC-04", stock=0)
    with restocks_in_step() as seen:
        _import({"ZE-SRC-01": 12, "ZE-SRC-02": 3, "ZE-SRC-03": 9, "ZE-SRC-04": 0, "ZE-NEW-1": 5})
    assert seen["restocked"] == {sold_out.pk, held.pk}
    assert restocked_at(always) is None
    assert restocked_at(stays_out) is None
    assert restocked_at(SKU.objects.get(code="ZE-NEW-1")) is None


def test_the_csv_import_takes_no_query_per_sku_to_mark_them(on_file: Product) -> None:
    def queries_to_bring_back(count: int, first: int) -> int:
        codes = {f"ZE-SRC-{n:02d}": 6 for n in range(first, first + count)}
        for code in codes:
            SKUFactory(product=on_file, code=code, stock=0)
        with CaptureQueriesContext(connection) as queries, restocks_in_step() as seen:
            _import(codes)
        assert len(seen["restocked"]) == count
        return len(queries.captured_queries)

    assert queries_to_bring_back(2, first=1) == queries_to_bring_back(30, first=10)


def test_the_demo_loader_creates_and_marks_nothing() -> None:
    with restocks_in_step() as seen:
        call_command("load_demo_catalog", products=20, seed=3, stdout=_Sink())
    assert SKU.objects.exists()
    assert seen["restocked"] == set()


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


# ---------------------------------------------------------------- the pieces, and the controls


def test_came_back_in_stock_is_none_before_and_some_after() -> None:
    assert came_back_in_stock({1: 0, 2: 0, 3: 4, 4: 0}, {1: 2, 2: 0, 3: 9}) == [1]


def test_record_restocks_marks_only_what_is_available_now() -> None:
    back, still_out = SKUFactory(stock=3), SKUFactory(stock=0)
    at = timezone.now()
    assert record_restocks(SKU.objects.all(), sku_ids=[back.pk, still_out.pk], at=at) == 1
    assert (restocked_at(back), restocked_at(still_out)) == (at, None)


def test_the_check_catches_stock_written_behind_the_hooks_back() -> None:
    """Positive control: a bulk UPDATE of the stock that skips the hooks leaves the SKU
    unmarked, and the check names it."""
    sku = SKUFactory(stock=0)
    with pytest.raises(AssertionError, match="missing") as caught, restocks_in_step():
        SKU.objects.filter(pk=sku.pk).update(stock=5)
    assert str(sku.pk) in str(caught.value)
    other = SKUFactory(stock=0)
    with pytest.raises(AssertionError, match="missing"), restocks_in_step():
        SKU.objects.bulk_update([SKU(pk=other.pk, stock=2)], ["stock"])


def test_the_check_catches_a_mark_without_a_return() -> None:
    """Positive control the other way: a SKU marked though it never ran out."""
    sku = SKUFactory(stock=4)
    with pytest.raises(AssertionError, match="wrongly"), restocks_in_step():
        record_restocks(SKU.objects.all(), sku_ids=[sku.pk], at=timezone.now())
