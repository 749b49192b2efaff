"""Facet counts of a listing page, all of them in one SQL statement.

The scope's products are read once into a materialised common table expression: one row
per product with the columns the facets group by and one boolean column per active filter.
Every facet is then an aggregate over that small table (the product facets) or over the
active SKUs of its products (tip size and ink colour), each counting under every filter but
its own. Grouping covers the whole scope, so a value that no product matching the other
filters has still comes back, counted 0: the listing needs to know it exists in scope.

Reading the scope once matters: it is the expensive part (a full-text match, a category
subtree), and a UNION of independent queries evaluated it once per facet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from .listing_query import BANDS_BY_KEY, PRICE_BANDS, Filters, PriceBand
from .models import SKU, Brand, Product, ProductType

# facet -> value -> (label, count)
Counts = dict[str, dict[str, tuple[str, int]]]

# The filters that narrow products as a whole, in the order their flag columns are written.
_PRODUCT_FLAGS = ("brand", "type", "price", "range", "stock")


def band_q(band: PriceBand, *, prefix: str = "") -> Q:
    """Products whose lowest price lies in the band."""
    q = Q()
    if band.low is not None:
        q &= Q(**{f"{prefix}min_price__gte": band.low})
    if band.high is not None:
        q &= Q(**{f"{prefix}min_price__lt": band.high})
    return q


def _flags(filters: Filters) -> dict[str, Q]:
    """One condition per active filter, keyed by the facet that leaves it out."""
    flags: dict[str, Q] = {}
    if filters.brand:
        # By id through a subquery: a join to the brand table per product costs more.
        brands = Brand.objects.filter(slug__in=filters.brand).values("id")
        flags["brand"] = Q(brand_id__in=brands)
    if filters.type:
        types = ProductType.objects.filter(slug__in=filters.type).values("id")
        flags["type"] = Q(product_type_id__in=types)
    band = BANDS_BY_KEY.get(filters.price)
    if band:
        flags["price"] = band_q(band)
    price_range = Q()
    if filters.price_min is not None:
        price_range &= Q(min_price__gte=filters.price_min)
    if filters.price_max is not None:
        price_range &= Q(min_price__lte=filters.price_max)
    if price_range:
        flags["range"] = price_range
    if filters.in_stock:
        flags["stock"] = Q(in_stock=True)
    variant = variant_q(filters)
    if variant:
        # Tip and ink must meet on one active SKU.
        matching = SKU.objects.filter(variant, product=OuterRef("pk"), is_active=True)
        flags["sku"] = Q(Exists(matching))
    return flags


def variant_q(filters: Filters, *, skip: str = "") -> Q:
    """Tip and ink on one SKU row: a product matches through a single variant that has both."""
    q = Q()
    if filters.tip and skip != "tip":
        q &= Q(tip_size__in=filters.tip)
    if filters.ink and skip != "ink":
        q &= Q(ink_colour__in=filters.ink)
    return q


@dataclass
class _Sql:
    """SQL text and its parameters, built up in order."""

    parts: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, params: Iterable[Any] = ()) -> None:
        self.parts.append(sql)
        self.params.extend(params)

    def text(self, sep: str = " ") -> str:
        return sep.join(self.parts)


def _scope_sql(products: QuerySet[Product], flags: dict[str, Q]) -> tuple[str, list[Any]]:
    band_key = Case(
        *[When(band_q(band), then=Value(band.key)) for band in PRICE_BANDS],
        default=Value(""),
        output_field=CharField(),
    )
    columns = {
        f"f_{name}": ExpressionWrapper(condition, output_field=BooleanField())
        for name, condition in flags.items()
    }
    rows = products.order_by().values(
        "id", "brand_id", "product_type_id", "in_stock", band=band_key, **columns
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _where(flags: dict[str, Q], *, skip: Iterable[str] = ()) -> str:
    names = [name for name in (*_PRODUCT_FLAGS, "sku") if name in flags and name not in skip]
    return " AND ".join(f"s.f_{name}" for name in names)


def _count(condition: str, column: str = "*") -> str:
    return f"COUNT({column}) FILTER (WHERE {condition})" if condition else f"COUNT({column})"


def _in_list(column: str, values: tuple[str, ...], sql: _Sql) -> str:
    sql.params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _variant_count_sql(column: str, condition: str, text: str) -> str:
    """Products per value of a SKU column, counting those with a SKU of that value that meets
    ``condition``. CROSS JOIN makes SQLite walk the scope and look its SKUs up by product
    rather than scan every SKU in the shop; PostgreSQL plans it like any inner join."""
    sku_table = SKU._meta.db_table
    if connection.vendor == "sqlite":
        # SQLite counts distinct products per value in one pass, about twice as fast as
        # grouping by (value, product) first.
        return (
            f"SELECT {text}, k.{column}, k.{column}, "  # noqa: S608
            f"COUNT(DISTINCT CASE WHEN {condition} THEN k.product_id END) "
            f"FROM s CROSS JOIN {sku_table} k "
            f"WHERE k.product_id = s.id AND k.is_active AND k.{column} <> '' "
            f"GROUP BY k.{column}"
        )
    # One row per (value, product) first, then a plain count: PostgreSQL must sort for
    # COUNT(DISTINCT ...) but hashes a GROUP BY.
    return (
        f"SELECT {text}, d.value, d.value, COUNT(*) FILTER (WHERE d.ok = 1) FROM ("  # noqa: S608
        f"SELECT k.{column} AS value, MAX(CASE WHEN {condition} THEN 1 ELSE 0 END) AS ok "
        f"FROM s CROSS JOIN {sku_table} k "
        f"WHERE k.product_id = s.id AND k.is_active AND k.{column} <> '' "
        f"GROUP BY k.{column}, k.product_id) d GROUP BY d.value"
    )


def count_facets(*, products: QuerySet[Product], filters: Filters, fixed: frozenset[str]) -> Counts:
    """Counts per facet value over the products, each under the other active filters.

    ``fixed`` names facets the page itself fixes (the brand page's brand): not counted.
    """
    flags = _flags(filters)
    scope_sql, scope_params = _scope_sql(products, flags)
    sql = _Sql()
    sql.add(f"WITH s AS MATERIALIZED ({scope_sql})", scope_params)

    # Only our own fragments are formatted into this SQL; every value travels as a parameter.
    selects = _Sql()
    text = "CAST(%s AS text)"
    total = _count(_where(flags))
    selects.add(f"SELECT {text}, {text}, {text}, {total} FROM s", ["total", "", ""])  # noqa: S608
    stock = _count(" AND ".join(filter(None, [_where(flags, skip={"stock"}), "s.in_stock"])))
    selects.add(f"SELECT {text}, {text}, {text}, {stock} FROM s", ["stock", "1", ""])  # noqa: S608
    price = _count(_where(flags, skip={"price"}))
    selects.add(
        f"SELECT {text}, s.band, {text}, {price} FROM s GROUP BY s.band",  # noqa: S608
        ["price", ""],
    )
    labelled = [("type", "product_type_id", ProductType._meta.db_table)]
    if "brand" not in fixed:
        labelled.append(("brand", "brand_id", Brand._meta.db_table))
    for name, column, table in labelled:
        selects.add(
            f"SELECT {text}, t.slug, t.name, c.n FROM ("  # noqa: S608
            f"SELECT s.{column} AS id, {_count(_where(flags, skip={name}))} AS n "
            f"FROM s GROUP BY s.{column}) c JOIN {table} t ON t.id = c.id",
            [name],
        )
    product_condition = _where(flags, skip={"sku"})
    for name, column, other, other_values in (
        ("tip", "tip_size", "ink_colour", filters.ink),
        ("ink", "ink_colour", "tip_size", filters.tip),
    ):
        part = _Sql(params=[name])
        conditions = [product_condition] if product_condition else []
        if other_values:
            conditions.append(_in_list(f"k.{other}", other_values, part))
        condition = " AND ".join(conditions) or "1 = 1"
        part.parts.append(_variant_count_sql(column, condition, text))
        selects.add(part.text(), part.params)
    sql.add(selects.text(" UNION ALL "), selects.params)

    counts: Counts = {}
    with connection.cursor() as cursor:
        cursor.execute(sql.text(), sql.params)
        for group, key, label, n in cursor.fetchall():
            counts.setdefault(group, {})[key] = (label, int(n))
    return counts
