"""Catalogue pages: thin views that parse the request, ask the catalogue, and render."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from . import art, listing, listing_query, services
from .caching import cache_catalog_page
from .models import SKU, Brand, Category, Product
from .search import parse_query


def _render_listing(
    request: HttpRequest,
    template: str,
    *,
    scope: listing.Scope,
    sorts: tuple[str, ...],
    context: dict[str, object],
    base_params: dict[str, str] | None = None,
) -> HttpResponse:
    query = listing_query.parse_listing_query(request.GET, sorts=sorts)
    try:
        result = listing.list_products(
            scope=scope,
            query=query,
            sorts=sorts,
            page_size=settings.BUNGU_PAGE_SIZE,
            base_params=base_params,
        )
    except listing.PageOutOfRange:
        raise Http404("There is no page with that number.") from None
    canonical = request.build_absolute_uri(request.path + result.canonical_query)
    return render(request, template, {**context, "listing": result, "canonical_url": canonical})


@cache_catalog_page
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = parse_query(raw)
    browsing = not raw.strip()
    context: dict[str, object] = {"search_query": query.text, "query": query, "browsing": browsing}
    if browsing:
        return _render_listing(
            request,
            "catalog/search.html",
            scope=listing.browse_all_scope(),
            sorts=listing_query.BROWSE_SORTS,
            context=context,
        )
    if not query.is_searchable:
        return render(request, "catalog/search.html", {**context, "listing": None})
    return _render_listing(
        request,
        "catalog/search.html",
        scope=listing.search_scope(query),
        sorts=listing_query.SEARCH_SORTS,
        context=context,
        base_params={"q": query.text},
    )


@cache_catalog_page
def category(request: HttpRequest, path: str) -> HttpResponse:
    try:
        family = listing.get_category_family(path=path)
    except Category.DoesNotExist:
        raise Http404("No such category.") from None
    return _render_listing(
        request,
        "catalog/category.html",
        scope=listing.category_scope(family.category),
        sorts=listing_query.BROWSE_SORTS,
        context={"family": family, "category": family.category},
    )


@cache_catalog_page
def brand_index(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/brand_index.html", {"brands": listing.list_brand_index()})


@cache_catalog_page
def brand(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        maker = Brand.objects.get(slug=slug)
    except Brand.DoesNotExist:
        raise Http404("No such brand.") from None
    return _render_listing(
        request,
        "catalog/brand.html",
        scope=listing.brand_scope(maker),
        sorts=listing_query.BROWSE_SORTS,
        context={"brand": maker},
    )


@cache_catalog_page
def product(request: HttpRequest, slug: str) -> HttpResponse:
    sku_code = request.GET.get("sku", "").strip() or None
    try:
        page = services.get_product_page(slug=slug, sku_code=sku_code)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None
    # The canonical URL leaves out ?sku=, so every variant view counts as the one product page.
    product_url = request.build_absolute_uri(page.product.get_absolute_url())
    image_urls = [request.build_absolute_uri(image.image.url) for image in page.images] or [
        request.build_absolute_uri(reverse("catalog:sku_art", kwargs={"code": page.selected.code}))
    ]
    json_ld = services.build_product_json_ld(
        page=page, product_url=product_url, image_urls=image_urls
    )
    context = {
        "page": page,
        "canonical_url": product_url,
        # build_product_json_ld escapes <, > and & so the data cannot end the script element.
        "json_ld": mark_safe(json_ld),  # noqa: S308
    }
    return render(request, "catalog/product.html", context)


@require_safe
def sku_art(request: HttpRequest, code: str) -> HttpResponse:
    try:
        svg = art.render_sku_art(code=code)
    except SKU.DoesNotExist:
        raise Http404("No such SKU.") from None
    response = HttpResponse(svg, content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=86400)
    return response
