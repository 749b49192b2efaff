"""What each cached catalogue page depends on, so one change makes stale only what it touches.

A cached page records the *dependencies* it was made from, by name (``product:<slug>``,
``category:<path>``, ``brand:<slug>``, ``search``, ``home``, ``brands``), each with the version
the dependency had when the page was made. A hit is served only while every one of them
still has that version; a change moves on the versions of the names it touches, after its
transaction commits. So a stock change of one SKU makes stale its product page and the
listings that can show its product (its categories and their ancestors, its brand, every
search, the home page), and nothing else.

Versions live in the shared cache, not in the database: a hit reads them with one
``get_many`` and runs no query. A version the cache lost counts as a change (a new one is
made), so losing one can only make pages re-render, never serve a stale page. Changes that
concern every page (brands, categories, product types, a bulk import) still move the
catalogue generation of ``CatalogState``, which is part of every page's key.

When the shared cache cannot be reached (Redis stopped), reads give no versions (pages are
made anew, never a 500), and a change that cannot move its versions moves the catalogue
generation in the database instead: the pages cached before the outage are not served
again once the cache is back.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterable

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from bungu import db_routing, shared_cache

_PREFIX = "pagedep:"
# Every product change moves this one: a page that names no narrower dependency uses it.
ANY_PRODUCT = "products"
HOME = "home"
SEARCH = "search"
BRAND_INDEX = "brands"
# Versions outlive the pages that recorded them (a lost one is safe, see above).
_VERSION_SECONDS = 7 * 24 * 3600


def product_page(slug: str) -> str:
    return f"product:{slug}"


def category_pages(path: str) -> str:
    return f"category:{path}"


def brand_pages(slug: str) -> str:
    return f"brand:{slug}"


def _new_version() -> str:
    return secrets.token_hex(6)


def _key(name: str) -> str:
    # Hashed: a name comes from a URL and may hold anything (a cache key may not).
    return _PREFIX + hashlib.blake2b(name.encode(), digest_size=12).hexdigest()


def current_versions(names: Collection[str]) -> dict[str, str]:
    """The version of each dependency now (one cache read; a lost one is made anew)."""
    if not names:
        return {}
    keys = {_key(name): name for name in names}
    found = shared_cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        # add, not set: two workers making the same lost version agree on the winner.
        shared_cache.add(key, _new_version(), _VERSION_SECONDS)
    if missing:
        found.update(shared_cache.get_many(missing))
    return {keys[key]: str(value) for key, value in found.items()}


def mark_changed(names: Iterable[str]) -> None:
    """Move these dependencies on now, and again once the current transaction commits.

    Now, so the changing request itself (and a test) sees the change at once; again after
    commit, because a page made by another worker between the change and the commit read
    the old rows while recording the new version, and would stay stale."""
    keys = sorted({_key(name) for name in names})
    if not keys:
        return

    def move_on() -> None:
        db_routing.note_catalog_change()
        try:
            shared_cache.strict(
                lambda: cache.set_many(dict.fromkeys(keys, _new_version()), _VERSION_SECONDS)
            )
        except shared_cache.CacheUnavailable:
            _move_generation_on()

    move_on()
    transaction.on_commit(move_on)


def _move_generation_on() -> None:
    """Every page's key moves on (the catalogue generation, kept in the database). Looked up
    by name: the models module imports this one."""
    state = apps.get_model("catalog", "CatalogState")
    state.objects.filter(id=1).update(generation=F("generation") + 1)


def ancestors(path: str) -> list[str]:
    """ "pens/gel-pens" -> ["pens", "pens/gel-pens"]."""
    parts = path.split("/")
    return ["/".join(parts[: depth + 1]) for depth in range(len(parts))]


def product_dependencies(*, slug: str, category_path: str, brand_slug: str) -> set[str]:
    """The pages that can show one product: its page, the listings of its category and every
    ancestor, its brand's pages, the brand index, every search and the home page."""
    names = {product_page(slug), ANY_PRODUCT, BRAND_INDEX, SEARCH, HOME}
    if brand_slug:
        names.add(brand_pages(brand_slug))
    if category_path:
        names.update(category_pages(path) for path in ancestors(category_path))
    return names
