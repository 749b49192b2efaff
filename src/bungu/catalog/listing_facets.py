"""Facet counts of a listing page, all of them in one SQL statement.

Every count reads ``ListingEntry`` rows of the page's scope (every product, a brand, a
category with its subtree), which hold each visible product once as itself and once per tip
size and ink colour of its active SKUs, with the columns the filters read: so each facet is
one GROUP BY over an index range, not a walk of the category tree and every SKU in scope.
A search page narrows the every-product scope to the products its words match. Each facet
is counted under every active filter but its own; grouping covers the whole scope, so a
value that no product matching the other filters has still comes back, counted 0: the
listing needs to know it exists in scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q

from .listing_entries import EntryKind
from .listing_query import BANDS_BY_KEY, PRICE_BANDS, Filters, PriceBand
from .models import SKU, Brand, ListingEntry, ProductType

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


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("%s" for _ in values)


def _band_sql(band: PriceBand) -> tuple[str, list[Any]]:
    parts, params = [], []
    if band.low is not None:
        parts.append("e.min_price >= %s")
        params.append(band.low)
    if band.high is not None:
        parts.append("e.min_price < %s")
        params.append(band.high)
    return " AND ".join(parts), params


def _flags(filters: Filters) -> dict[str, tuple[str, list[Any]]]:
    """One condition on an entry ``e`` per active filter, keyed by the facet that leaves it
    out. Brands and types by id through a subquery, as the entries hold ids."""
    flags: dict[str, tuple[str, list[Any]]] = {}
    brand_table, type_table = Brand._meta.db_table, ProductType._meta.db_table
    if filters.brand:
        brands = f"SELECT id FROM {brand_table} WHERE slug IN ({_marks(filters.brand)})"  # noqa: S608
        flags["brand"] = (f"e.brand_id IN ({brands})", list(filters.brand))
    if filters.type:
        types = f"SELECT id FROM {type_table} WHERE slug IN ({_marks(filters.type)})"  # noqa: S608
        flags["type"] = (f"e.product_type_id IN ({types})", list(filters.type))
    band = BANDS_BY_KEY.get(filters.price)
    if band:
        flags["price"] = _band_sql(band)
    range_parts, range_params = [], []
    if filters.price_min is not None:
        range_parts.append("e.min_price >= %s")
        range_params.append(filters.price_min)
    if filters.price_max is not None:
        range_parts.append("e.min_price <= %s")
        range_params.append(filters.price_max)
    if range_parts:
        flags["range"] = (" AND ".join(range_parts), range_params)
    if filters.in_stock:
        flags["stock"] = ("e.in_stock", [])
    if filters.tip or filters.ink:
        # Tip and ink must meet on one active SKU.
        flags["sku"] = _variant_exists(tip=filters.tip, ink=filters.ink)
    return flags


def _variant_exists(
    *, tip: tuple[str, ...] = (), ink: tuple[str, ...] = (), own: str = ""
) -> tuple[str, list[Any]]:
    """EXISTS an active SKU of the entry's product with one of these tips and inks, and whose
    ``own`` column (tip_size or ink_colour) is the entry's value."""
    sql = (
        f"EXISTS (SELECT 1 FROM {SKU._meta.db_table} k "  # noqa: S608
        "WHERE k.product_id = e.product_id AND k.is_active"
    )
    params: list[Any] = []
    if own:
        sql += f" AND k.{own} = e.value"
    if tip:
        sql += f" AND k.tip_size IN ({_marks(tip)})"
        params += tip
    if ink:
        sql += f" AND k.ink_colour IN ({_marks(ink)})"
        params += ink
    return sql + ")", params


def _where(
    flags: dict[str, tuple[str, list[Any]]], *, skip: Iterable[str] = (), extra: str = ""
) -> tuple[str, list[Any]]:
    names = [name for name in (*_PRODUCT_FLAGS, "sku") if name in flags and name not in skip]
    parts = [flags[name][0] for name in names] + ([extra] if extra else [])
    params = [param for name in names for param in flags[name][1]]
    return " AND ".join(parts), params


def _count(condition: str) -> str:
    return f"COUNT(*) FILTER (WHERE {condition})" if condition else "COUNT(*)"


def count_facets(
    *,
    scope_key: str,
    filters: Filters,
    fixed: frozenset[str],
    matching: tuple[str, list[Any]] | None = None,
) -> Counts:
    """Counts per facet value over the scope's products, each under the other active filters.

    ``scope_key``: the ``ListingEntry.scope`` of the page; ``matching``: SQL of the ids of
    the products a search matched, which narrows it. ``fixed`` names facets the page itself
    fixes (the brand page's brand): not counted.
    """
    flags = _flags(filters)
    sql = _Sql()
    entries = ListingEntry._meta.db_table
    # Only our own fragments are formatted into this SQL; every value travels as a parameter.
    if matching is not None:
        # From the matches to their entries, once: a search matches few of the products.
        sql.add(
            f"WITH m (id) AS MATERIALIZED ({matching[0]}), s AS MATERIALIZED ("  # noqa: S608
            "SELECT e.kind, e.value, e.product_id, e.brand_id, e.product_type_id, e.min_price, "
            f"e.in_stock FROM m CROSS JOIN {entries} e WHERE e.product_id = m.id "
            "AND e.scope = %s)",
            [*matching[1], scope_key],
        )

        def rows(kind: str) -> tuple[str, list[Any]]:
            return "FROM s e WHERE e.kind = %s", [kind]

    else:

        def rows(kind: str) -> tuple[str, list[Any]]:
            return (
                f"FROM {entries} e WHERE e.scope = %s AND e.kind = %s",
                [scope_key, kind],
            )

    product_rows, product_params = rows(EntryKind.PRODUCT)
    selects = _Sql()
    text = "CAST(%s AS text)"

    def add(head: str, head_params: list[Any], condition: tuple[str, list[Any]], tail: str) -> None:
        counted, counted_params = condition
        selects.add(
            f"{head} {_count(counted)} {product_rows}{tail}",
            [*head_params, *counted_params, *product_params],
        )

    add(f"SELECT {text}, {text}, {text},", ["total", "", ""], _where(flags), "")
    add(
        f"SELECT {text}, {text}, {text},",
        ["stock", "1", ""],
        _where(flags, skip={"stock"}, extra="e.in_stock"),
        "",
    )
    band_sql, band_params = ["CASE"], []
    for band in PRICE_BANDS:
        condition, params = _band_sql(band)
        band_sql.append(f"WHEN {condition} THEN {text}")
        band_params += [*params, band.key]
    band_sql.append(f"ELSE {text} END")
    band_expression = " ".join(band_sql)
    counted, counted_params = _where(flags, skip={"price"})
    selects.add(
        f"SELECT {text}, b.band, {text}, {_count('b.ok' if counted else '')} FROM ("  # noqa: S608
        f"SELECT {band_expression} AS band, {counted or '1 = 1'} AS ok {product_rows}) b "
        "GROUP BY b.band",
        ["price", "", *band_params, "", *counted_params, *product_params],
    )
    labelled = [("type", "product_type_id", ProductType._meta.db_table)]
    if "brand" not in fixed:
        labelled.append(("brand", "brand_id", Brand._meta.db_table))
    for name, column, table in labelled:
        counted, counted_params = _where(flags, skip={name})
        selects.add(
            f"SELECT {text}, t.slug, t.name, c.n FROM ("  # noqa: S608
            f"SELECT e.{column} AS id, {_count(counted)} AS n {product_rows} "
            f"GROUP BY e.{column}) c JOIN {table} t ON t.id = c.id",
            [name, *counted_params, *product_params],
        )
    for name, kind, variant in (
        ("tip", EntryKind.TIP, _variant_exists(ink=filters.ink, own="tip_size")),
        ("ink", EntryKind.INK, _variant_exists(tip=filters.tip, own="ink_colour")),
    ):
        # The other variant filter must meet this value on one SKU.
        other_chosen = filters.ink if name == "tip" else filters.tip
        counted, counted_params = _where(flags, skip={"sku"})
        if other_chosen:
            counted = " AND ".join(filter(None, [counted, variant[0]]))
            counted_params = [*counted_params, *variant[1]]
        kind_rows, kind_params = rows(kind)
        selects.add(
            f"SELECT {text}, e.value, e.value, {_count(counted)} {kind_rows} GROUP BY e.value",
            [name, *counted_params, *kind_params],
        )
    sql.add(selects.text(" UNION ALL "), selects.params)

    counts: Counts = {}
    with connection.cursor() as cursor:
        cursor.execute(sql.text(), sql.params)
        for group, key, label, n in cursor.fetchall():
            counts.setdefault(group, {})[key] = (label, int(n))
    return counts
