"""factory_boy factories for the catalogue."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from bungu.catalog.models import SKU, Brand, Category, Product, ProductType


class BrandFactory(DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    description = "A maker of fine writing instruments."


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductTypeFactory(DjangoModelFactory):
    class Meta:
        model = ProductType
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Type {n}")
    slug = factory.Sequence(lambda n: f"type-{n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Gel pen {n}")
    slug = factory.Sequence(lambda n: f"gel-pen-{n}")
    brand = factory.SubFactory(BrandFactory)
    category = factory.SubFactory(CategoryFactory)
    product_type = factory.SubFactory(ProductTypeFactory)
    summary = "A smooth gel pen."
    description = "Writes smoothly on most papers."
    specs = factory.LazyFunction(lambda: [["Body", "Plastic"], ["Length", "140 mm"]])

    @factory.post_generation
    def skus(self, create: bool, extracted: int | None, **kwargs: object) -> None:
        """``ProductFactory(skus=3)`` makes three SKUs; by default one."""
        if not create:
            return
        for _ in range(1 if extracted is None else extracted):
            SKUFactory(product=self, **kwargs)
        self.refresh_listing_fields()


class SKUFactory(DjangoModelFactory):
    class Meta:
        model = SKU

    product = factory.SubFactory(ProductFactory, skus=0)
    code = factory.Sequence(lambda n: f"SKU-{n:05d}")
    tip_size = "0.5 mm"
    ink_colour = "Black"
    price = Decimal("3.50")
    stock = 20
