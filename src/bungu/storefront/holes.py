"""Fills the per-visitor holes of a page, after the page cache and before the ETag.

Catalogue pages are cached whole and shared by every visitor, signed in or not; whatever in
them belongs to one visitor is a hole (see ``bungu.catalog.caching``). This middleware
replaces each hole with that visitor's fragment (``parts``), so a cached page still carries
the visitor's own CSRF token, cart badge, account menu, messages, wish lists and review. A
filled page is personal from then on: it is marked private for shared caches.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from bungu.catalog.caching import HOLE_PREFIX

from . import parts

# Called with the request and the hole's arguments (strings).
Filler = Callable[..., str]

_HOLE = re.compile(
    re.escape(HOLE_PREFIX).encode() + rb"([a-z0-9_-]{1,40})((?::[A-Za-z0-9_-]{1,80}){0,4})-->"
)
# A filler's own HTML may hold holes (a form's CSRF token); they are filled too, this deep.
_MAX_DEPTH = 2

FILLERS: dict[str, Filler] = {
    "csrf": parts.csrf_field,
    "cart-count": parts.cart_count,
    "account-menu": parts.account_menu,
    "messages": parts.flash_messages,
    "wish-list-save": parts.wish_list_save,
    "review-report": parts.review_report,
    "review-own": parts.review_own,
}


def fill_holes(content: bytes, request: HttpRequest, *, depth: int = 0) -> bytes:
    def fill(match: re.Match[bytes]) -> bytes:
        filler = FILLERS.get(match.group(1).decode())
        # An unknown hole is left empty rather than shown; a test keeps the list complete.
        if filler is None:
            return b""
        args = [arg for arg in match.group(2).decode().split(":") if arg]
        filled = filler(request, *args).encode()
        if depth < _MAX_DEPTH and HOLE_PREFIX.encode() in filled:
            filled = fill_holes(filled, request, depth=depth + 1)
        return filled

    return _HOLE.sub(fill, content)


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
        response.content = fill_holes(content, request)
        # The cached page's ETag describes the unfilled page; ConditionalGet makes a new one.
        if response.has_header("ETag"):
            del response["ETag"]
        patch_cache_control(response, private=True, no_cache=True)
        return response
