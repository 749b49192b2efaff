"""Writes the planned demo catalogue to the database in a few large batches."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from bungu.catalog.models import (
    SKU,
    Brand,
    CatalogState,
    Category,
    ListingEntry,
    Product,
    ProductType,
)
from bungu.catalog.search import reindex_products
from bungu.catalog.services import compute_listing_fields

from .plan import ProductPlan, plan_catalogue
from .taxonomy import BRANDS, CATEGORIES, PRODUCT_TYPES

BATCH_PRODUCTS = 500


@dataclass(frozen=True)
class DemoCatalogue:
    products: int
    skus: int


def load_demo_catalogue(
    *,
    seed: int = 1,
    products: int | None = None,
    skus: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> DemoCatalogue:
    """Create the demo catalogue in one transaction; ``on_progress`` hears of each SKU batch.

    Brands, categories and product types are reused when they already exist (by slug), so
    the demo can be loaded next to a taxonomy staff have started.
    """
    made_products = made_skus = 0
    with transaction.atomic():
        brands = _ensure_brands()
        categories = _ensure_categories()
        types = _ensure_types()
        plans = plan_catalogue(seed=seed, products=products, skus=skus)
        while batch := list(itertools.islice(plans, BATCH_PRODUCTS)):
            rows = [_product_row(plan, brands, categories, types) for plan in batch]
            Product.objects.bulk_create(rows)
            sku_rows = [
                SKU(
                    product=row,
                    code=sku.code,
                    tip_size=sku.tip_size,
                    ink_colour=sku.ink_colour,
                    body_colour=sku.body_colour,
                    paper_size=sku.paper_size,
                    pack_size=sku.pack_size,
                    price=sku.price,
                    stock=sku.stock,
                    is_active=sku.is_active,
                    position=sku.position,
                )
                for row, plan in zip(rows, batch, strict=True)
                for sku in plan.skus
            ]
            SKU.objects.bulk_create(sku_rows)
            made_products += len(rows)
            made_skus += len(sku_rows)
            if on_progress is not None:
                on_progress(len(sku_rows))
        reindex_products()
        # Bulk-created products saved no entries one by one.
        ListingEntry.refresh_for(None)
        CatalogState.bump()
    return DemoCatalogue(products=made_products, skus=made_skus)


def _product_row(
    plan: ProductPlan,
    brands: dict[str, Brand],
    categories: dict[str, Category],
    types: dict[str, ProductType],
) -> Product:
    # Listing fields come from the planned SKUs, so no product needs a second write.
    listing = compute_listing_fields(plan.skus)
    return Product(
        name=plan.name,
        slug=plan.slug,
        brand=brands[plan.brand],
        category=categories[plan.category],
        product_type=types[plan.product_type],
        summary=plan.summary,
        description=plan.description,
        specs=plan.specs,
        is_active=plan.is_active,
        is_featured=plan.is_featured,
        is_for_children=plan.is_for_children,
        min_price=listing.min_price,
        max_price=listing.max_price,
        in_stock=listing.in_stock,
        lead_sku_code=listing.lead_sku_code,
    )


def _ensure_brands() -> dict[str, Brand]:
    brands = {}
    for facts in BRANDS:
        brands[facts.slug], _ = Brand.objects.get_or_create(
            slug=facts.slug,
            defaults={
                "name": facts.name,
                "country": facts.country,
                "founded": facts.founded,
                "description": facts.description,
            },
        )
    return brands


def _ensure_categories() -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for position, facts in enumerate(CATEGORIES):
        parent = categories[facts.parent] if facts.parent else None
        categories[facts.slug], _ = Category.objects.get_or_create(
            slug=facts.slug,
            parent=parent,
            defaults={"name": facts.name, "description": facts.description, "position": position},
        )
    return categories


def _ensure_types() -> dict[str, ProductType]:
    types = {}
    for facts in PRODUCT_TYPES:
        types[facts.slug], _ = ProductType.objects.get_or_create(
            slug=facts.slug, defaults={"name": facts.name}
        )
    return types
