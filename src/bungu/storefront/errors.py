"""The shop's error pages that need a view: the CSRF failure page (404.html and 500.html are
plain templates Django's own handlers render)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.views import csrf


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
