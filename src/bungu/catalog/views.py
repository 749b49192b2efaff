"""Catalogue pages: thin views that parse the request, ask the catalogue, and render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from .caching import cache_catalog_page


@cache_catalog_page
def search(request: HttpRequest) -> HttpResponse:
    raise Http404  # TODO(listing): search page


@cache_catalog_page
def category(request: HttpRequest, path: str) -> HttpResponse:
    raise Http404  # TODO(listing): category page


@cache_catalog_page
def brand_index(request: HttpRequest) -> HttpResponse:
    raise Http404  # TODO(listing): brand index


@cache_catalog_page
def brand(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404  # TODO(listing): brand page


@cache_catalog_page
def product(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404  # TODO(product): product page with variant picker


def sku_art(request: HttpRequest, code: str) -> HttpResponse:
    raise Http404  # TODO(art): SVG artwork drawn from the SKU's attributes
