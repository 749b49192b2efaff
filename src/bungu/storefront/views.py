"""The shop's own pages: home, robots.txt, the CSRF failure page. Catalogue pages live in
the catalog app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views import csrf
from django.views.decorators.http import require_safe

from bungu.catalog import services as catalog
from bungu.catalog.caching import cache_catalog_page


@cache_catalog_page
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


def cookies_needed(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF failure page (CSRF_FAILURE_VIEW): most often a browser that refuses cookies,
    so it says plainly what needs them and what works without (P11)."""
    context = {"cookie_sent": bool(request.COOKIES)}
    try:
        return render(request, "storefront/cookies_needed.html", context, status=403)
    except NoReverseMatch:
        # A URL configuration without the shop's pages (a test of the middleware alone):
        # Django's plain page rather than an error page that fails.
        return csrf.csrf_failure(request, reason)
