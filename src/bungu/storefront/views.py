"""The shop's own pages: home, robots.txt, and the product page, composed here of the
catalogue's product and the cart, wish-list and review parts. Listing pages live in the
catalog app."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from bungu.catalog import page_deps, services as catalog
from bungu.catalog.caching import cache_catalog_page
from bungu.catalog.models import Product
from bungu.reviews import services as reviews


@cache_catalog_page(depends_on=lambda request, kwargs: (page_deps.HOME,))
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "featured": catalog.list_featured_products(),
        "brands": catalog.list_brands_with_products(),
    }
    return render(request, "storefront/home.html", context)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap_url = request.build_absolute_uri(reverse("storefront:sitemap"))
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        # Search results are endless combinations of the same products.
        "Disallow: /search/",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@cache_catalog_page(depends_on=lambda request, kwargs: (page_deps.product_page(kwargs["slug"]),))
def product(request: HttpRequest, slug: str) -> HttpResponse:
    """The product page. Every part is read here, through its app's services, so the page's
    queries are counted in one place and its templates run none."""
    sku_code = request.GET.get("sku", "").strip() or None
    try:
        page = catalog.get_product_page(slug=slug, sku_code=sku_code)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None
    # The canonical URL leaves out ?sku=, so every variant view counts as the one product page.
    product_url = request.build_absolute_uri(page.product.get_absolute_url())
    image_urls = [request.build_absolute_uri(image.image.url) for image in page.images] or [
        request.build_absolute_uri(reverse("catalog:sku_art", kwargs={"code": page.selected.code}))
    ]
    json_ld = catalog.build_product_json_ld(
        page=page, product_url=product_url, image_urls=image_urls
    )
    # The page is shared by every visitor (it is made as for an anonymous one): the visitor's
    # own parts (wish lists, their review, "Report this review") are page holes.
    context = {
        "page": page,
        "canonical_url": product_url,
        # build_product_json_ld escapes <, > and & so the data cannot end the script element.
        "json_ld": mark_safe(json_ld),  # noqa: S308  # nosec
        "reviews": reviews.get_product_reviews(product=page.product, viewer_id=None),
    }
    return render(request, "storefront/product.html", context)
