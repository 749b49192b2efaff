"""Stock that can never be oversold: holds, releases and consumption of ``SKU.allocated``."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from bungu.catalog import services
from bungu.catalog.models import SKU, StockState
from tests.catalog.factories import ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db


def _sku(stock: int) -> SKU:
    return SKUFactory(stock=stock)


def test_a_hold_takes_units_and_leaves_the_rest_available():
    sku = _sku(5)

    services.hold_stock(lines={sku.pk: 3})

    sku.refresh_from_db()
    assert (sku.stock, sku.allocated, sku.available) == (5, 3, 2)


def test_a_hold_beyond_what_is_available_changes_nothing_at_all():
    plenty, scarce = _sku(10), _sku(2)
    services.hold_stock(lines={scarce.pk: 1})

    with pytest.raises(services.OutOfStock) as caught:
        services.hold_stock(lines={plenty.pk: 4, scarce.pk: 2})

    assert caught.value.short == {scarce.pk: 1}
    plenty.refresh_from_db()
    scarce.refresh_from_db()
    assert (plenty.allocated, scarce.allocated) == (0, 1)


def test_the_last_unit_goes_to_one_buyer_only():
    sku = _sku(1)
    services.hold_stock(lines={sku.pk: 1})

    with pytest.raises(services.OutOfStock):
        services.hold_stock(lines={sku.pk: 1})

    sku.refresh_from_db()
    assert sku.allocated == 1


def test_the_buyers_own_hold_is_not_counted_against_them():
    sku = _sku(3)
    services.hold_stock(lines={sku.pk: 3})

    # The same buyer places the order again with one more... and then with the same three.
    with pytest.raises(services.OutOfStock):
        services.hold_stock(lines={sku.pk: 4}, release={sku.pk: 3})
    services.hold_stock(lines={sku.pk: 3}, release={sku.pk: 3})

    sku.refresh_from_db()
    assert sku.allocated == 3


def test_release_gives_units_back_and_never_goes_below_zero():
    sku = _sku(4)
    services.hold_stock(lines={sku.pk: 2})

    services.release_stock(lines={sku.pk: 2})
    services.release_stock(lines={sku.pk: 2})

    sku.refresh_from_db()
    assert sku.allocated == 0


def test_consume_takes_allocated_units_off_the_shelf():
    sku = _sku(4)
    services.hold_stock(lines={sku.pk: 3})

    services.consume_stock(lines={sku.pk: 2})

    sku.refresh_from_db()
    assert (sku.stock, sku.allocated) == (2, 1)
    with pytest.raises(services.StockMismatch):
        services.consume_stock(lines={sku.pk: 2})
    sku.refresh_from_db()
    assert (sku.stock, sku.allocated) == (2, 1)


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5])
def test_a_quantity_must_be_a_positive_whole_number(quantity):
    sku = _sku(4)

    with pytest.raises(ValueError, match="whole number"):
        services.hold_stock(lines={sku.pk: quantity})

    sku.refresh_from_db()
    assert sku.allocated == 0


def test_the_database_refuses_an_oversell_whatever_the_code_does():
    sku = _sku(2)

    with pytest.raises(IntegrityError), transaction.atomic():
        SKU.objects.filter(pk=sku.pk).update(allocated=F("stock") + 1)


def test_a_staff_save_never_overwrites_a_hold_taken_meanwhile():
    sku = _sku(5)
    stale = SKU.objects.get(pk=sku.pk)
    services.hold_stock(lines={sku.pk: 4})

    stale.price = stale.price + 1
    stale.save()

    sku.refresh_from_db()
    assert sku.allocated == 4


def test_staff_cannot_set_stock_below_what_is_allocated():
    sku = _sku(5)
    services.hold_stock(lines={sku.pk: 4})
    sku.refresh_from_db()

    sku.stock = 3
    with pytest.raises(ValidationError, match="cannot go below 4"):
        sku.full_clean()


def test_listing_flags_and_stock_state_use_available_stock():
    product = ProductFactory(skus=0)
    sku = SKUFactory(product=product, stock=2)
    product.refresh_listing_fields()
    assert product.in_stock

    services.hold_stock(lines={sku.pk: 2})

    product.refresh_from_db()
    sku.refresh_from_db()
    assert not product.in_stock
    assert sku.stock_state == StockState.SOLD_OUT

    services.release_stock(lines={sku.pk: 1})

    product.refresh_from_db()
    sku.refresh_from_db()
    assert product.in_stock
    assert sku.stock_state == StockState.LOW
    assert services.get_available(sku_ids=[sku.pk]) == {sku.pk: 1}
