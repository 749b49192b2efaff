"""Full-text search over the catalogue behind one interface.

SQLite (the embedded default) uses an FTS5 table; PostgreSQL uses a stored, GIN-indexed
tsvector. Both are created by migration 0002 and fed from ``SearchDocument`` rows, which
``reindex_products`` keeps in step with the products.

Customers' words never reach either query language as syntax: ``parse_query`` keeps only
word characters, and each backend quotes every term itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from django.db import connection, transaction
from django.db.models import Prefetch

from . import page_deps
from .models import (
    SKU,
    CatalogState,
    Category,
    Product,
    SearchDocument,
    dependencies_of_products,
)

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
# A prefix of one letter matches nearly everything and costs the most to expand.
MIN_PREFIX_CHARS = 2
REINDEX_CHUNK = 500

# Runs of letters and digits, with inner dots kept so "0.5" stays one term.
_TERM = re.compile(r"[^\W_]+(?:\.[^\W_]+)*")


@dataclass(frozen=True)
class SearchQuery:
    """What a customer typed, cleaned, and the terms that will be searched for."""

    text: str
    terms: tuple[str, ...]
    prefix_last: bool

    @property
    def is_searchable(self) -> bool:
        return bool(self.terms)


def clean_query_text(raw: str) -> str:
    """Drop control characters, fold whitespace and cut to ``MAX_QUERY_CHARS``."""
    text = "".join(
        " " if unicodedata.category(char).startswith(("C", "Z")) else char
        for char in raw[: MAX_QUERY_CHARS * 4]
    )
    return " ".join(text.split())[:MAX_QUERY_CHARS].strip()


def parse_query(raw: str) -> SearchQuery:
    """Turn raw input into a query whose terms are safe to place in any backend's syntax."""
    text = clean_query_text(raw)
    terms = tuple(term.casefold() for term in _TERM.findall(text))[:MAX_TERMS]
    prefix_last = bool(terms) and len(terms[-1]) >= MIN_PREFIX_CHARS
    return SearchQuery(text=text, terms=terms, prefix_last=prefix_last)


class SearchBackend(Protocol):
    """SQL that finds and scores matching products, for the listing engine to build on."""

    def matching_ids_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        """SELECT of one column: the ids of products whose document matches."""
        ...

    def scored_matches_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        """SELECT of (product_id, score) for matching products; a higher score ranks first."""
        ...


class SqliteFtsBackend:
    def _match(self, query: SearchQuery) -> str:
        # Terms hold no double quote (see _TERM), so each is one FTS5 string; "AND", "NEAR",
        # "-" or "*" inside a string are plain text, never operators.
        parts = [f'"{term}"' for term in query.terms]
        if query.prefix_last:
            parts[-1] += "*"
        return " ".join(parts)

    def matching_ids_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        sql = "SELECT rowid FROM catalog_search_fts WHERE catalog_search_fts MATCH %s"
        return sql, [self._match(query)]

    def scored_matches_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        # bm25() is lower for better matches; negate it so every backend sorts descending.
        # The weights favour a match in the name, then the keywords, then the body.
        sql = (
            "SELECT rowid AS product_id, -bm25(catalog_search_fts, 10.0, 4.0, 1.0) AS score "
            "FROM catalog_search_fts WHERE catalog_search_fts MATCH %s"
        )
        return sql, [self._match(query)]


class PostgresBackend:
    def _tsquery(self, query: SearchQuery) -> str:
        # Terms hold no quote, backslash or operator character, so quoting each is enough.
        parts = [f"'{term}'" for term in query.terms]
        if query.prefix_last:
            parts[-1] += ":*"
        return " & ".join(parts)

    def matching_ids_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        sql = (
            "SELECT product_id FROM catalog_searchdocument "
            "WHERE search_vector @@ to_tsquery('english'::regconfig, %s)"
        )
        return sql, [self._tsquery(query)]

    def scored_matches_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        sql = (
            "SELECT d.product_id, ts_rank(d.search_vector, q.query) AS score "
            "FROM catalog_searchdocument d, to_tsquery('english'::regconfig, %s) AS q(query) "
            "WHERE d.search_vector @@ q.query"
        )
        return sql, [self._tsquery(query)]


def get_backend() -> SearchBackend:
    """The backend for the default database. Raises NotImplementedError for other engines."""
    if connection.vendor == "sqlite":
        return SqliteFtsBackend()
    if connection.vendor == "postgresql":
        return PostgresBackend()
    raise NotImplementedError(f"No catalogue search for {connection.vendor}.")


# ---------------------------------------------------------------- documents


def _spec_text(specs: object) -> str:
    # Specs are staff-edited JSON; anything that is not a list of pairs is skipped.
    if not isinstance(specs, list):
        return ""
    values: list[str] = []
    for row in specs:
        if isinstance(row, list | tuple):
            values.extend(str(cell) for cell in row if isinstance(cell, str | int | float))
    return " ".join(values)


def build_document(product: Product, *, category_names: dict[str, str]) -> SearchDocument:
    """The search document of a product loaded with its brand, type, category and SKUs."""
    path = product.category.path.split("/")
    categories = [category_names.get("/".join(path[: i + 1]), "") for i in range(len(path))]
    skus: list[SKU] = list(product.skus.all())
    sku_words = [
        word
        for sku in skus
        for word in (sku.code, sku.tip_size, sku.ink_colour, sku.body_colour, sku.paper_size)
        if word
    ]
    keywords = [product.brand.name, product.product_type.name, *categories, *sku_words]
    body = [product.summary, product.description, _spec_text(product.specs)]
    return SearchDocument(
        product=product,
        name=product.name,
        keywords=" ".join(dict.fromkeys(k for k in keywords if k)),
        body="\n".join(part for part in body if part),
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), REINDEX_CHUNK):
        yield ids[start : start + REINDEX_CHUNK]


def reindex_products(product_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search documents of these products (all products when None)."""
    if product_ids is None:
        ids = list(Product.objects.order_by("id").values_list("id", flat=True))
        SearchDocument.objects.exclude(product_id__in=Product.objects.all()).delete()
    else:
        ids = sorted(set(product_ids))
    if not ids:
        return
    category_names = dict(Category.objects.values_list("path", "name"))
    active_skus = Prefetch("skus", queryset=SKU.objects.filter(is_active=True).order_by("id"))
    with transaction.atomic():
        for chunk in _chunks(ids):
            products = (
                Product.objects.filter(id__in=chunk)
                .select_related("brand", "product_type", "category")
                .prefetch_related(active_skus)
            )
            documents = [build_document(p, category_names=category_names) for p in products]
            # Delete then insert (not an upsert) so the FTS triggers see plain INSERT/DELETE.
            SearchDocument.objects.filter(product_id__in=chunk).delete()
            SearchDocument.objects.bulk_create(documents)
        # Cached search pages were made from the old documents: every page after a full
        # rebuild or a deletion (a deleted product's pages can no longer be found from it),
        # the pages of these products (search among them) otherwise.
        if product_ids is None or Product.objects.filter(id__in=ids).count() < len(ids):
            CatalogState.bump()
        else:
            page_deps.mark_changed(dependencies_of_products(ids))
