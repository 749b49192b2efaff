"""Catalogue pages: thin views that parse the request, ask the catalogue, and render.

The product page is composed by the storefront, which adds the other apps' parts to the
catalogue's ``catalog/product.html``."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from . import art, listing, listing_query, page_deps
from .caching import cache_catalog_page
from .models import SKU, Brand, Category
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


@cache_catalog_page(depends_on=lambda request, kwargs: (page_deps.SEARCH,))
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


@cache_catalog_page(depends_on=lambda request, kwargs: (page_deps.category_pages(kwargs["path"]),))
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


@cache_catalog_page(depends_on=lambda request, kwargs: (page_deps.BRAND_INDEX,))
def brand_index(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/brand_index.html", {"brands": listing.list_brand_index()})


@cache_catalog_page(depends_on=lambda request, kwargs: (page_deps.brand_pages(kwargs["slug"]),))
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


@require_safe
def sku_art(request: HttpRequest, code: str) -> HttpResponse:
    try:
        svg = art.render_sku_art(code=code)
    except SKU.DoesNotExist:
        raise Http404("No such SKU.") from None
    response = HttpResponse(svg, content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=86400)
    return response
