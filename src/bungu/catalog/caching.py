"""Whole-page caching for catalogue pages, shared by every visitor, signed in or not.

A cached page is keyed by its URL and the catalogue generation (see ``CatalogState``), which
moves on changes that concern every page (a brand, a category, an import). Beside its HTML
the entry records the versions of the *dependencies* the page was made from (``page_deps``:
its product, its category, every search ...), and a hit is served only while they have not
moved, so a change to one product makes stale only the pages that can show it.

The page is always made as for an anonymous visitor with no flash messages, whoever asked
for it, so what is cached can carry nobody's data. Whatever belongs to one visitor (a
form's CSRF token, the cart badge, the account menu, flash messages, the wish-list and
review parts of a product page) is a *hole*, ``{% page_hole "csrf" %}``, which a middleware
higher up (``bungu.storefront.holes``) fills in on every response, cached or not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, overload

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers, set_response_etag

from bungu import metrics, shared_cache

from . import page_deps
from .models import CatalogState

View = Callable[..., HttpResponse]
# The dependencies of the page a request asks for, from the request and the URL's kwargs.
DependsOn = Callable[[HttpRequest, dict[str, Any]], Collection[str]]
CACHE_HEADER = "X-Bungu-Page-Cache"
HOLE_PREFIX = "<!--bungu-hole:"
# A hole's arguments are ids and slugs: nothing that could end the comment or need quoting.
_HOLE_ARGUMENT = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_UNSET = object()


def hole_marker(name: str, *args: object) -> str:
    """The placeholder a template leaves for the per-visitor fragment ``name``, with the
    arguments its filler needs (ids, slugs). Raises ValueError for an argument that is not
    one."""
    parts = [name]
    for arg in args:
        text = str(arg)
        if not _HOLE_ARGUMENT.match(text):
            raise ValueError(f"page hole {name!r}: {text!r} is not an id or a slug")
        parts.append(text)
    return f"{HOLE_PREFIX}{':'.join(parts)}-->"


def page_cache_key(request: HttpRequest, generation: int) -> str:
    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return f"page2:{generation}:{request.method}:{digest}"


def _every_product(request: HttpRequest, kwargs: dict[str, Any]) -> Collection[str]:
    return (page_deps.ANY_PRODUCT,)


def _render_as_anonymous(
    view: View, request: HttpRequest, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> HttpResponse:
    """Make the shared page with nobody signed in and no flash messages, so that nothing of
    the visitor who happened to ask first can end up in everyone's copy."""
    user = request.__dict__.get("user", _UNSET)
    pending = request.__dict__.get("_messages", _UNSET)
    request.user = AnonymousUser()
    request._messages = ()  # type: ignore[attr-defined]
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
    finally:
        for name, value in (("user", user), ("_messages", pending)):
            if value is _UNSET:
                request.__dict__.pop(name, None)
            else:
                setattr(request, name, value)
    return response


def _page_cache(view: View, depends_on: DependsOn) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            return view(request, *args, **kwargs)
        if settings.BUNGU_PAGE_CACHE_SECONDS <= 0:
            # Caching is off: nothing would be kept, so neither look nor write.
            response = _render_as_anonymous(view, request, args, kwargs)
            response[CACHE_HEADER] = "off"
            patch_vary_headers(response, ["Cookie"])
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            return response
        key = page_cache_key(request, CatalogState.current())
        # The shared cache failing (Redis stopped) reads as a miss: the page is made anew.
        cached = shared_cache.get(key)
        # Read before the page is made: a change committed while it is made leaves it stale.
        versions = page_deps.current_versions(set(depends_on(request, kwargs)))
        if cached is not None and cached[4] == versions:
            status, content_type, etag, content, _versions = cached
            response = HttpResponse(content, status=status, content_type=content_type)
            response["ETag"] = etag
            response[CACHE_HEADER] = "hit"
            metrics.PAGE_CACHE_HIT.inc()
        else:
            response = _render_as_anonymous(view, request, args, kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                # Computed once here rather than by ConditionalGetMiddleware on every hit.
                set_response_etag(response)
                # Only these five: no header of the response (no Set-Cookie) is ever kept.
                entry = (
                    response.status_code,
                    response["Content-Type"],
                    response["ETag"],
                    response.content,
                    versions,
                )
                shared_cache.set(key, entry, settings.BUNGU_PAGE_CACHE_SECONDS)
            response[CACHE_HEADER] = "miss"
            metrics.PAGE_CACHE_MISS.inc()
        patch_vary_headers(response, ["Cookie"])
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        return response

    return wrapper


@overload
def cache_catalog_page(view: View) -> View: ...
@overload
def cache_catalog_page(*, depends_on: DependsOn) -> Callable[[View], View]: ...


def cache_catalog_page(
    view: View | None = None, *, depends_on: DependsOn | None = None
) -> View | Callable[[View], View]:
    """Serve a GET from the page cache while nothing it depends on has changed.

    ``depends_on`` names the page's dependencies (``page_deps``) from the request and the
    URL's arguments; without it the page depends on every product."""
    if view is not None:
        return _page_cache(view, _every_product)

    def decorate(inner: View) -> View:
        return _page_cache(inner, depends_on or _every_product)

    return decorate
