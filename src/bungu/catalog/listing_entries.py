"""The rows of ``ListingEntry``, the listings' facet table: their vocabulary and the SQL that
writes them from the products, their SKUs and the category tree.

A listing *scope* is every visible product (``*``), a brand's (``b:<id>``) or a category's
with its subtree (``c:<id>``). Each visible product has, in each scope it belongs to, one
row of kind ``p`` (itself) and one per tip size (``t``) and per ink colour (``i``) of its
active SKUs, each carrying the product's brand, type, lowest price and stock flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

ALL_PRODUCTS_SCOPE = "*"
# How many times ``insert_sql`` names the ids: its parameters are the ids that many times.
ID_PARAMETER_USES = 6


def category_scope_key(category_id: int) -> str:
    return f"c:{category_id}"


def brand_scope_key(brand_id: int) -> str:
    return f"b:{brand_id}"


class EntryKind(models.TextChoices):
    PRODUCT = "p", "product"
    TIP = "t", "tip size"
    INK = "i", "ink colour"


@dataclass(frozen=True)
class Tables:
    entry: str
    product: str
    category: str
    sku: str


def insert_sql(tables: Tables, *, ids: str = "") -> str:
    """INSERT ... SELECT of the entries of the products whose id is ``ids`` (``IN (...)``,
    whose parameters the caller gives ``ID_PARAMETER_USES`` times; "" for every product).
    Only table names and that fragment are formatted in."""

    def only(column: str) -> str:
        return f"AND {column} {ids}" if ids else ""

    t = tables
    return (
        f"INSERT INTO {t.entry} (scope, kind, value, product_id, brand_id, product_type_id, "  # noqa: S608
        "min_price, in_stock) "
        "SELECT sc.scope, v.kind, v.value, p.id, p.brand_id, p.product_type_id, p.min_price, "
        f"p.in_stock FROM {t.product} p JOIN ("
        f"SELECT q.id AS product_id, '{ALL_PRODUCTS_SCOPE}' AS scope FROM {t.product} q "
        f"WHERE 1 = 1 {only('q.id')} "
        f"UNION ALL SELECT q.id, 'b:' || CAST(q.brand_id AS TEXT) FROM {t.product} q "
        f"WHERE 1 = 1 {only('q.id')} "
        # Its category and every ancestor: paths are slugs joined by "/", so LIKE is exact.
        f"UNION ALL SELECT q.id, 'c:' || CAST(a.id AS TEXT) FROM {t.product} q "
        f"JOIN {t.category} c ON c.id = q.category_id "
        f"JOIN {t.category} a ON (c.path = a.path OR c.path LIKE a.path || '/%%') "
        f"WHERE 1 = 1 {only('q.id')}"
        ") sc ON sc.product_id = p.id JOIN ("
        f"SELECT k.product_id, '{EntryKind.TIP.value}' AS kind, k.tip_size AS value "
        f"FROM {t.sku} k WHERE k.is_active AND k.tip_size <> '' {only('k.product_id')} "
        f"UNION SELECT k.product_id, '{EntryKind.INK.value}', k.ink_colour FROM {t.sku} k "
        f"WHERE k.is_active AND k.ink_colour <> '' {only('k.product_id')} "
        f"UNION SELECT q.id, '{EntryKind.PRODUCT.value}', '' FROM {t.product} q "
        f"WHERE 1 = 1 {only('q.id')}"
        ") v ON v.product_id = p.id "
        "WHERE p.is_active AND p.min_price IS NOT NULL"
    )
