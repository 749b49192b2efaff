"""factory_boy factories for wish lists."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bungu.catalog.models import SKU
from bungu.wishlists.models import WishList, WishListItem
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory


def on_sale_sku(**fields: object) -> SKU:
    """The one SKU of a new visible product (``stock=0`` for a sold-out one...)."""
    product = ProductFactory(**{f"skus__{name}": value for name, value in fields.items()})
    return product.skus.get()


class WishListFactory(DjangoModelFactory):
    class Meta:
        model = WishList

    owner = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Wish list {n}")


class WishListItemFactory(DjangoModelFactory):
    class Meta:
        model = WishListItem

    wish_list = factory.SubFactory(WishListFactory)
    sku = factory.LazyFunction(on_sale_sku)
    note = ""
