"""The catalogue's use cases, called by views, commands, jobs and other apps."""

from __future__ import annotations

from django.core.cache import cache

from .models import CatalogState, Category


def list_top_categories() -> list[Category]:
    """The top-level categories with their children, cached until the catalogue changes."""
    key = f"nav:{CatalogState.current()}"
    tree: list[Category] | None = cache.get(key)
    if tree is None:
        tree = list(Category.objects.filter(parent=None).prefetch_related("children"))
        cache.set(key, tree, 3600)
    return tree
