"""The catalogue as a spreadsheet: one CSV row per SKU, with its product's columns beside it.

This module holds the format (columns, the specs cell) and the export; ``csv_import``
reads the same format back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from django.db.models import Prefetch, QuerySet

from .models import SKU, Product

PRODUCT_COLUMNS = (
    "product_slug",
    "product_name",
    "brand",
    "category_path",
    "product_type",
    "summary",
    "description",
    "specs",
    "is_active",
    "is_featured",
    "is_for_children",
)
SKU_COLUMNS = (
    "sku_code",
    "tip_size",
    "ink_colour",
    "body_colour",
    "paper_size",
    "pack_size",
    "price",
    "stock",
    "sku_active",
)
COLUMNS = PRODUCT_COLUMNS + SKU_COLUMNS
REQUIRED_COLUMNS = frozenset(
    {"product_slug", "product_name", "brand", "category_path", "product_type", "sku_code"}
    | {"price", "stock"}
)


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


# ---------------------------------------------------------------- specs as one cell


def format_specs(specs: Iterable[Iterable[object]]) -> str:
    """``[["Ink", "Gel"], ["Tip", "0.5 mm"]]`` -> ``"Ink: Gel; Tip: 0.5 mm"`` (``;`` and ``:``
    inside a label or value are escaped with a backslash)."""
    items = []
    for pair in specs:
        label, value = (str(part) for part in pair)
        items.append(f"{_escape_spec(label)}: {_escape_spec(value)}")
    return "; ".join(items)


def _escape_spec(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(":", "\\:")


def parse_specs(cell: str) -> list[list[str]]:
    """The inverse of ``format_specs``. Raises ValueError naming the item without a label."""
    items: list[list[str]] = []
    current: list[str] = []
    parts: list[str] = []
    chars = iter(cell)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ":" and not parts:
            parts.append("".join(current))
            current = []
        elif char == ";":
            _close_spec_item(items, parts, current)
            parts, current = [], []
        else:
            current.append(char)
    _close_spec_item(items, parts, current)
    return items


def _close_spec_item(items: list[list[str]], parts: list[str], current: list[str]) -> None:
    rest = "".join(current).strip()
    if not parts:
        if rest:
            raise ValueError(f'"{rest}" is not written as "Label: value"')
        return
    label = parts[0].strip()
    if not label:
        raise ValueError(f'the item ": {rest}" has no label')
    items.append([label, rest])


# ---------------------------------------------------------------- export


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def iter_catalog_rows(products: QuerySet[Product] | None = None) -> Iterator[list[str]]:
    """The header, then one row per SKU (or one row for a product that has no SKU)."""
    yield list(COLUMNS)
    queryset = (products if products is not None else Product.objects.all()).order_by("id")
    queryset = queryset.select_related("brand", "category", "product_type").prefetch_related(
        Prefetch("skus", queryset=SKU.objects.order_by("position", "id"))
    )
    for product in queryset.iterator(chunk_size=1000):
        product_part = [
            product.slug,
            product.name,
            product.brand.name,
            product.category.path,
            product.product_type.name,
            product.summary,
            product.description,
            format_specs(product.specs),
            _yes_no(product.is_active),
            _yes_no(product.is_featured),
            _yes_no(product.is_for_children),
        ]
        skus = list(product.skus.all())
        if not skus:
            yield product_part + [""] * len(SKU_COLUMNS)
        for sku in skus:
            yield [
                *product_part,
                sku.code,
                sku.tip_size,
                sku.ink_colour,
                sku.body_colour,
                sku.paper_size,
                str(sku.pack_size),
                f"{sku.price:.2f}",
                str(sku.stock),
                _yes_no(sku.is_active),
            ]


def export_catalog_csv(out: Writer, *, products: QuerySet[Product] | None = None) -> int:
    """Write the catalogue (or these products) as CSV to ``out``; returns the data rows."""
    writer = csv.writer(out)
    count = -1
    for row in iter_catalog_rows(products):
        writer.writerow(row)
        count += 1
    return count
