"""A search provider: the public catalogue, nothing personal (P13)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from bungu.api.gate import AgentTokenAuth, require
from bungu.api.reading import variant_of
from bungu.catalog.models import SKU

FUNCTION = "search"

router = Router(tags=["search"], auth=AgentTokenAuth(FUNCTION))


class PageIn(Schema):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(100, ge=1, le=500)


class ItemOut(Schema):
    sku: str
    product: str
    brand: str
    category: str
    variant: str
    price: Decimal
    currency: str
    in_stock: bool
    url: str


class CataloguePageOut(Schema):
    page: int
    pages: int
    count: int
    items: list[ItemOut]


class Problem(Schema):
    detail: str


@router.get(
    "/catalogue", response={200: CataloguePageOut, 400: Problem, 401: Problem, 403: Problem}
)
def catalogue(request: HttpRequest, paging: Query[PageIn]) -> dict[str, Any]:
    """What the shop sells, a page at a time: every active SKU of an active product."""
    require(request, FUNCTION)
    skus = (
        SKU.objects.filter(is_active=True, product__is_active=True)
        .select_related("product__brand", "product__category")
        .order_by("product_id", "position", "id")
    )
    paginator = Paginator(skus, paging.per_page)
    number = min(paging.page, paginator.num_pages)
    page = paginator.page(number)
    currency = str(settings.BUNGU_CURRENCY)
    items = [
        {
            "sku": sku.code,
            "product": sku.product.name,
            "brand": sku.product.brand.name,
            "category": sku.product.category.name,
            "variant": variant_of(sku),
            "price": sku.price,
            "currency": currency,
            "in_stock": sku.stock > sku.allocated,
            "url": request.build_absolute_uri(sku.product.get_absolute_url()),
        }
        for sku in page.object_list
    ]
    return {"page": number, "pages": paginator.num_pages, "count": paginator.count, "items": items}
