"""Fills the per-visitor holes of a page, after the page cache and before the ETag.

Catalogue pages are cached whole and shared by every visitor; whatever in them belongs to
one visitor is a hole (see ``bungu.catalog.caching``). This middleware replaces each hole
with that visitor's fragment, so a cached page still carries the visitor's own CSRF token.
A filled page is personal from then on: it is marked private for shared caches.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control
from django.utils.html import format_html

from bungu.cart.badge import fill_cart_count
from bungu.catalog.caching import HOLE_PREFIX

Filler = Callable[[HttpRequest], str]

_HOLE = re.compile(re.escape(HOLE_PREFIX).encode() + rb"([a-z0-9_-]{1,40})-->")


def _csrf_field(request: HttpRequest) -> str:
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


FILLERS: dict[str, Filler] = {
    "csrf": _csrf_field,
    "cart-count": fill_cart_count,
}


class FillPageHolesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        content = response.content
        if HOLE_PREFIX.encode() not in content:
            return response

        def fill(match: re.Match[bytes]) -> bytes:
            filler = FILLERS.get(match.group(1).decode())
            # An unknown hole is left empty rather than shown; a test keeps the list complete.
            return filler(request).encode() if filler else b""

        response.content = _HOLE.sub(fill, content)
        # The cached page's ETag describes the unfilled page; ConditionalGet makes a new one.
        if response.has_header("ETag"):
            del response["ETag"]
        patch_cache_control(response, private=True, no_cache=True)
        return response
