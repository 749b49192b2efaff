"""sitemap.xml: the home page, the category tree, the brands and every visible product."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q, QuerySet
from django.urls import reverse

from bungu.catalog.models import Brand, Category, Product

_VISIBLE_PRODUCTS = Q(products__is_active=True, products__min_price__isnull=False)

if TYPE_CHECKING:
    # Sitemap is generic only in django-stubs; at run time it cannot be subscripted.
    _NamedSitemap = Sitemap[str]
    _CategorySitemap = Sitemap[Category]
    _BrandSitemap = Sitemap[Brand]
    _ProductSitemap = Sitemap[Product]
else:
    _NamedSitemap = _CategorySitemap = _BrandSitemap = _ProductSitemap = Sitemap


class PagesSitemap(_NamedSitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["storefront:home", "catalog:brands"]

    def location(self, item: str) -> str:
        return reverse(item)


class CategorySitemap(_CategorySitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Category]:
        return Category.objects.annotate(
            lastmod=Max("products__updated_at", filter=_VISIBLE_PRODUCTS)
        ).order_by("path")

    def lastmod(self, item: Category) -> datetime | None:
        value: datetime | None = getattr(item, "lastmod", None)
        return value


class BrandSitemap(_BrandSitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Brand]:
        return Brand.objects.annotate(
            lastmod=Max("products__updated_at", filter=_VISIBLE_PRODUCTS)
        ).order_by("name")

    def lastmod(self, item: Brand) -> datetime | None:
        value: datetime | None = getattr(item, "lastmod", None)
        return value


class ProductSitemap(_ProductSitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Product]:
        return Product.objects.visible().only("slug", "updated_at").order_by("id")

    def lastmod(self, item: Product) -> datetime:
        return item.updated_at


SITEMAPS: dict[str, type[Sitemap[Any]]] = {
    "pages": PagesSitemap,
    "categories": CategorySitemap,
    "brands": BrandSitemap,
    "products": ProductSitemap,
}
