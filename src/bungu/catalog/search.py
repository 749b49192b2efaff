"""Full-text search over the catalogue behind one interface.

SQLite (the embedded default) uses an FTS5 table; PostgreSQL uses a GIN-indexed tsvector.
"""

from __future__ import annotations

from collections.abc import Iterable


def reindex_products(product_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search documents of these products (all products when None)."""
    # TODO(search): implemented by the search backend work.
