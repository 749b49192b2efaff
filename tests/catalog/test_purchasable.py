"""The one rule for "can this SKU be bought", shared by the cart and the wish lists."""

from __future__ import annotations

import pytest

from bungu.catalog import services
from tests.catalog.factories import ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db


def test_an_active_sku_of_an_active_product_is_purchasable_even_when_sold_out(
    django_assert_num_queries,
):
    sku = ProductFactory(skus=1, skus__stock=0).skus.get()

    with django_assert_num_queries(1):
        found = services.get_purchasable_sku(sku_id=sku.id)
        assert found.product.name == sku.product.name  # the product came with it

    assert found == sku
    assert found.is_purchasable


@pytest.mark.parametrize("withdrawn", ["sku", "product"])
def test_a_withdrawn_sku_is_refused_and_named(withdrawn):
    product = ProductFactory(is_active=withdrawn != "product")
    sku = SKUFactory(product=product, is_active=withdrawn != "sku")

    with pytest.raises(services.NotPurchasable) as refused:
        services.get_purchasable_sku(sku_id=sku.id)

    assert refused.value.sku == sku
    assert not refused.value.sku.is_purchasable


@pytest.mark.parametrize("sku_id", [999_999, 0, -1])
def test_an_unknown_sku_is_refused_without_one(sku_id):
    ProductFactory()

    with pytest.raises(services.NotPurchasable) as refused:
        services.get_purchasable_sku(sku_id=sku_id)

    assert refused.value.sku is None
