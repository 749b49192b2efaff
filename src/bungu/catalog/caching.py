"""Whole-page caching for catalogue pages that do not depend on who is looking.

A cached page is keyed by the catalogue generation (see ``CatalogState``), so any change to
the catalogue makes every cached page stale on every worker at once; the timeout only
bounds memory. Requests that carry a signed-in user or pending flash messages bypass the
cache in both directions.

The few bits of a page that do depend on the visitor (a form's CSRF token, the cart badge)
are left in the cached HTML as *holes*, ``{% page_hole "csrf" %}``, which a middleware
higher up fills in on every response, cached or not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag

from .models import CatalogState

View = Callable[..., HttpResponse]
CACHE_HEADER = "X-Bungu-Page-Cache"
HOLE_PREFIX = "<!--bungu-hole:"


def hole_marker(name: str) -> str:
    """The placeholder a template leaves for the per-visitor fragment ``name``."""
    return f"{HOLE_PREFIX}{name}-->"


def _is_personal(request: HttpRequest) -> bool:
    has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
    if has_session:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
    # Flash messages live in the session or, for visitors without one, in their own cookie.
    if has_session or CookieStorage.cookie_name in request.COOKIES:
        return len(get_messages(request)) > 0
    return False


def page_cache_key(request: HttpRequest, generation: int) -> str:
    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return f"page:{generation}:{request.method}:{digest}"


def cache_catalog_page(view: View) -> View:
    """Serve a GET from the page cache when the catalogue has not changed since it was made."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"} or _is_personal(request):
            return view(request, *args, **kwargs)
        key = page_cache_key(request, CatalogState.current())
        cached = cache.get(key)
        if cached is not None:
            status, content_type, etag, content = cached
            response = HttpResponse(content, status=status, content_type=content_type)
            response["ETag"] = etag
            response[CACHE_HEADER] = "hit"
        else:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                if hasattr(response, "render") and callable(response.render):
                    response.render()
                # Computed once here rather than by ConditionalGetMiddleware on every hit.
                set_response_etag(response)
                cache.set(
                    key,
                    (
                        response.status_code,
                        response["Content-Type"],
                        response["ETag"],
                        response.content,
                    ),
                    settings.BUNGU_PAGE_CACHE_SECONDS,
                )
            response[CACHE_HEADER] = "miss"
        patch_vary_headers(response, ["Cookie"])
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        return response

    return wrapper
