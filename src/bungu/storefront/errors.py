"""The shop's error pages that need a view: the CSRF failure page (404.html and 500.html are
plain templates Django's own handlers render), and the page for a shared cache that is down."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.views import csrf

from bungu import shared_cache

logger = logging.getLogger(__name__)


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


class SharedCacheDownMiddleware:
    """A request that needed the shared cache where no fallback is safe (django-allauth's
    sign-in limits, a rate limit that must be kept) answers 503 "try again in a minute"
    rather than 500 while the cache is down. Browsing never gets here: its cache reads go
    through ``bungu.shared_cache``, which carries on without the cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, shared_cache.UNAVAILABLE):
            return None
        logger.warning("shared cache unavailable: %s answered 503", request.path)
        # Standalone (no context processors): it must render while the cache is down.
        response = HttpResponse(
            render_to_string("storefront/try_again.html"), status=503, content_type="text/html"
        )
        response["Retry-After"] = "60"
        return response
