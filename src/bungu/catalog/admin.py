"""The catalogue in the back office, with CSV export and import of the whole catalogue."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, ForeignKey, QuerySet
from django.forms import ModelChoiceField, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from . import art
from .csv_import import MAX_BYTES, import_catalog_csv
from .csv_io import iter_catalog_rows
from .forms import CatalogImportForm
from .models import SKU, Brand, Category, Product, ProductImage, ProductType
from .money import format_money
from .search import reindex_products


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin[Brand]):
    list_display = ["name", "country", "founded", "product_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Brand]:
        brands: QuerySet[Brand] = super().get_queryset(request)
        return brands.annotate(product_total=Count("products"))

    @admin.display(description="products", ordering="product_total")
    def product_count(self, brand: Brand) -> int:
        return int(getattr(brand, "product_total", 0))


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["__str__", "slug", "position"]
    list_select_related = ["parent"]
    search_fields = ["name", "path"]
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["parent"]


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin[ProductType]):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


class SKUInline(admin.TabularInline[SKU, Product]):
    model = SKU
    extra = 0
    fields = [
        "code",
        "tip_size",
        "ink_colour",
        "body_colour",
        "paper_size",
        "pack_size",
        "price",
        "stock",
        "allocated",
        "is_active",
        "position",
    ]
    readonly_fields = ["allocated"]


class ProductImageInline(admin.TabularInline[ProductImage, Product]):
    model = ProductImage
    extra = 0
    fields = ["image", "alt_text", "sku", "position"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "sku":
            # Only this product's SKUs; the whole catalogue would make a huge, useless menu.
            match = request.resolver_match
            object_id = match.kwargs.get("object_id") if match else None
            skus = SKU.objects.filter(product_id=object_id) if object_id else SKU.objects.none()
            kwargs["queryset"] = skus.select_related("product")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class _Echo:
    """A write-only file for the csv module that hands each line back to the caller."""

    def write(self, text: str) -> str:
        return text


def _csv_response(products: QuerySet[Product] | None) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        for row in iter_catalog_rows(products):
            yield writer.writerow(row)

    stamp = timezone.localdate().strftime("%Y%m%d")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bungu-catalogue-{stamp}.csv"'
    return response


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = [
        "name",
        "brand",
        "category",
        "product_type",
        "price_range",
        "in_stock",
        "is_active",
        "is_featured",
        "is_for_children",
    ]
    list_filter = [
        "is_active",
        "is_featured",
        "is_for_children",
        "in_stock",
        "brand",
        "product_type",
        "category",
    ]
    list_select_related = ["brand", "category", "product_type"]
    search_fields = ["name", "slug", "skus__code"]
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["brand", "category", "product_type"]
    readonly_fields = [
        "picture",
        "min_price",
        "max_price",
        "in_stock",
        "lead_sku_code",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "brand", "category", "product_type", "picture"]}),
        ("Text", {"fields": ["summary", "description", "specs"]}),
        ("Flags", {"fields": ["is_active", "is_featured", "is_for_children"]}),
        (
            "Kept from the SKUs",
            {
                "fields": [
                    "min_price",
                    "max_price",
                    "in_stock",
                    "lead_sku_code",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [SKUInline, ProductImageInline]
    actions = ["export_selected_csv"]
    change_list_template = "admin/catalog/product/change_list.html"

    @admin.display(description="price", ordering="min_price")
    def price_range(self, product: Product) -> str:
        if product.min_price is None or product.max_price is None:
            return "-"
        if product.min_price == product.max_price:
            return format_money(product.min_price)
        return f"{format_money(product.min_price)}-{format_money(product.max_price)}"

    @admin.display(description="picture")
    def picture(self, product: Product) -> str:
        if product.pk is None:
            return "-"
        image = art.display_image(product)
        return format_html('<img src="{}" alt="{}" width="160" height="160">', image.url, image.alt)

    def save_related(
        self, request: HttpRequest, form: ModelForm[Product], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # SKUs are saved with the inlines, after the product: only now is the price range known.
        product = form.instance
        product.refresh_listing_fields()
        reindex_products([product.id])

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        product_id = obj.id
        super().delete_model(request, obj)
        reindex_products([product_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        super().delete_queryset(request, queryset)
        reindex_products(ids)

    @admin.action(description="Export selected products as CSV", permissions=["view"])
    def export_selected_csv(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> StreamingHttpResponse:
        return _csv_response(queryset)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "export-csv/",
                self.admin_site.admin_view(self.export_view),
                name="catalog_product_export_csv",
            ),
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_product_import_csv",
            ),
        ]
        return extra + super().get_urls()

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _csv_response(None)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = CatalogImportForm(request.POST, request.FILES, max_bytes=MAX_BYTES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                report = import_catalog_csv(file=upload, max_bytes=MAX_BYTES)
                if report.ok:
                    self.message_user(request, report.summary(), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:catalog_product_changelist"))
        else:
            form = CatalogImportForm(max_bytes=MAX_BYTES)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import the catalogue from CSV",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "max_bytes": MAX_BYTES,
        }
        return render(request, "catalog/admin_import.html", context)


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin[SKU]):
    list_display = [
        "code",
        "product",
        "variant_label",
        "price",
        "stock",
        "allocated",
        "stock_state",
        "is_active",
    ]
    readonly_fields = ["allocated", "restocked_at"]
    list_filter = ["is_active"]
    list_select_related = ["product"]
    search_fields = ["code", "product__name"]
    autocomplete_fields = ["product"]

    def save_model(self, request: HttpRequest, obj: SKU, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _product_changed(obj.product)
        previous = form.initial.get("product") if change else None
        if previous is not None and previous != obj.product_id:
            # The SKU moved: the product it left needs its price range redone too.
            _product_changed(Product.objects.get(id=previous))

    def delete_model(self, request: HttpRequest, obj: SKU) -> None:
        product = obj.product
        super().delete_model(request, obj)
        _product_changed(product)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SKU]) -> None:
        products = list(Product.objects.filter(skus__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for product in products:
            _product_changed(product)


def _product_changed(product: Product) -> None:
    product.refresh_listing_fields()
    reindex_products([product.id])
