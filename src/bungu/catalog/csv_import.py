"""Importing the catalogue from CSV: every row is checked before anything is written.

One bad row and nothing changes; the report names every bad row and column so the file
can be fixed in one pass.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .csv_io import COLUMNS, PRODUCT_COLUMNS, REQUIRED_COLUMNS, SKU_COLUMNS, parse_specs
from .models import SKU, Brand, CatalogState, Category, Product, ProductType, slug_validator
from .restocks import came_back_in_stock, record_restocks
from .search import reindex_products
from .services import refresh_listing_fields_in_bulk

MAX_ROWS = 100_000
MAX_BYTES = 32 * 1024 * 1024
MAX_ERRORS = 200
MAX_PRICE = Decimal("9999999.99")

_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_PRODUCT_FIELDS = {
    "product_name": "name",
    "summary": "summary",
    "description": "description",
    "specs": "specs",
    "is_active": "is_active",
    "is_featured": "is_featured",
    "is_for_children": "is_for_children",
    "brand": "brand",
    "category_path": "category",
    "product_type": "product_type",
}
_SKU_FIELDS = {
    "tip_size": "tip_size",
    "ink_colour": "ink_colour",
    "body_colour": "body_colour",
    "paper_size": "paper_size",
    "pack_size": "pack_size",
    "price": "price",
    "stock": "stock",
    "sku_active": "is_active",
}

# ---------------------------------------------------------------- import: report


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: ``row`` is the line of the file (the header is row 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row else "File"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    products_created: int = 0
    products_updated: int = 0
    skus_created: int = 0
    skus_updated: int = 0
    errors: tuple[RowError, ...] = ()
    more_errors: int = 0  # errors found beyond the ones listed

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            total = len(self.errors) + self.more_errors
            return f"Nothing was imported: {total} problem{'s' if total != 1 else ''} found."
        return (
            f"Imported: {self.products_created} products created, {self.products_updated} "
            f"updated; {self.skus_created} SKUs created, {self.skus_updated} updated."
        )


class _Errors:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[RowError] = []
        self.dropped = 0

    def add(self, row: int, column: str, message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(RowError(row, column, message))
        else:
            self.dropped += 1

    def report(self) -> ImportReport:
        return ImportReport(errors=tuple(self.items), more_errors=self.dropped)

    def __bool__(self) -> bool:
        return bool(self.items)


# ---------------------------------------------------------------- import: reading the file


def _read_text(file: IO[bytes] | bytes, *, max_bytes: int, errors: _Errors) -> str | None:
    data = file if isinstance(file, bytes) else file.read(max_bytes + 1)
    if len(data) > max_bytes:
        errors.add(0, "", f"The file is larger than {max_bytes:,} bytes; split it into parts.")
        return None
    if b"\x00" in data:
        errors.add(0, "", "This is a binary file, not CSV text. Save the sheet as CSV (UTF-8).")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.add(
            0,
            "",
            f"The file is not UTF-8 text (unreadable byte at position {exc.start}). "
            "Save the sheet as CSV (UTF-8).",
        )
        return None
    if not text.strip():
        errors.add(0, "", "The file is empty.")
        return None
    return text


def _read_rows(text: str, *, max_rows: int, errors: _Errors) -> list[list[str]] | None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) > max_rows:  # the header plus max_rows data rows
                errors.add(0, "", f"The file has more than {max_rows:,} rows; split it into parts.")
                return None
            rows.append(row)
    except csv.Error as exc:
        errors.add(reader.line_num, "", f"This line is not valid CSV ({exc}).")
        return None
    if len(rows) < 2:
        errors.add(0, "", "The file has a header but no rows.")
        return None
    return rows


def _read_header(header: list[str], errors: _Errors) -> list[str] | None:
    names = [name.strip().lower() for name in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.add(1, name, "This column appears twice.")
        seen.add(name)
        if name not in COLUMNS:
            errors.add(1, name, f"Unknown column. The columns are: {', '.join(COLUMNS)}.")
    missing = [name for name in COLUMNS if name in REQUIRED_COLUMNS and name not in seen]
    if missing:
        errors.add(
            1,
            "",
            f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}.",
        )
    return None if errors else names


# ---------------------------------------------------------------- import: checking rows


@dataclass
class _ProductIn:
    row: int
    slug: str
    values: dict[str, Any]  # model field -> value, only for the columns in the file
    raw: dict[str, str]  # the product columns as written, to compare rows of one product
    skus: list[_SkuIn] = field(default_factory=list)


@dataclass
class _SkuIn:
    row: int
    code: str
    values: dict[str, Any]


class _Lookups:
    def __init__(self) -> None:
        self.brands: dict[str, Brand] = {}
        for brand in Brand.objects.all():
            self.brands[brand.name.casefold()] = brand
            self.brands[brand.slug] = brand
        self.types: dict[str, ProductType] = {}
        for kind in ProductType.objects.all():
            self.types[kind.name.casefold()] = kind
            self.types[kind.slug] = kind
        self.categories = {c.path: c for c in Category.objects.all()}


def _text(value: str, model: type[Product] | type[SKU], name: str) -> str:
    limit = getattr(model._meta.get_field(name), "max_length", None)
    if limit is not None and len(value) > limit:
        raise ValueError(f"is {len(value)} characters long; the limit is {limit}")
    return value


def _flag(value: str, *, default: bool) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f'"{value}" is not yes or no')


def _price(value: str) -> Decimal:
    try:
        price = Decimal(value.replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise ValueError(f'"{value}" is not a price') from None
    if not price.is_finite():
        raise ValueError(f'"{value}" is not a price')
    if price <= 0:
        raise ValueError(f"must be more than 0, not {value}")
    if price > MAX_PRICE:
        raise ValueError(f"must be at most {MAX_PRICE}")
    if price != price.quantize(Decimal("0.01")):
        raise ValueError(f"{value} has more than two decimal places")
    return price.quantize(Decimal("0.01"))


def _whole(value: str, *, minimum: int, default: int | None = None) -> int:
    if not value and default is not None:
        return default
    if not value.lstrip("-").isdigit():
        raise ValueError(f'"{value}" is not a whole number')
    number = int(value)
    if number < minimum:
        raise ValueError(f"must be at least {minimum}, not {number}")
    if number > 2_147_483_647:
        raise ValueError(f"{number} is too large")
    return number


def _parse_product(
    line: int, cells: dict[str, str], lookups: _Lookups, errors: _Errors
) -> _ProductIn:
    values: dict[str, Any] = {}

    def check(column: str, parse: Any) -> None:
        if column not in cells:
            return
        try:
            values[_PRODUCT_FIELDS[column]] = parse(cells[column])
        except ValueError as exc:
            errors.add(line, column, str(exc))

    slug = cells["product_slug"]
    try:
        if not slug:
            raise ValidationError("is required")
        _text(slug, Product, "slug")
        slug_validator(slug)
    except (ValidationError, ValueError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        errors.add(line, "product_slug", f'"{slug}" {message}' if slug else "is required")

    def required_text(name: str) -> Any:
        def parse(value: str) -> str:
            if not value:
                raise ValueError("is required")
            return _text(value, Product, name)

        return parse

    def known(table: dict[str, Any], what: str, *, key: Any = str.casefold) -> Any:
        def parse(value: str) -> Any:
            if not value:
                raise ValueError("is required")
            found = table.get(key(value)) or table.get(value)
            if found is None:
                raise ValueError(f'there is no {what} "{value}"; add it in the back office first')
            return found

        return parse

    check("product_name", required_text("name"))
    check("brand", known(lookups.brands, "brand"))
    check("category_path", known(lookups.categories, "category", key=lambda v: v.strip("/")))
    check("product_type", known(lookups.types, "product type"))
    check("summary", lambda v: _text(v, Product, "summary"))
    check("description", str)
    check("specs", parse_specs)
    check("is_active", lambda v: _flag(v, default=True))
    check("is_featured", lambda v: _flag(v, default=False))
    check("is_for_children", lambda v: _flag(v, default=False))
    raw = {column: cells[column] for column in PRODUCT_COLUMNS if column in cells}
    return _ProductIn(row=line, slug=slug, values=values, raw=raw)


def _parse_sku(line: int, cells: dict[str, str], errors: _Errors) -> _SkuIn | None:
    code = cells["sku_code"]
    if not code:
        filled = [c for c in SKU_COLUMNS if cells.get(c)]
        if filled:
            errors.add(line, "sku_code", f"is required when {', '.join(filled)} are filled in")
        return None  # a product row with no SKU
    values: dict[str, Any] = {}
    try:
        _text(code, SKU, "code")
        SKU._meta.get_field("code").run_validators(code)
    except (ValidationError, ValueError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        errors.add(line, "sku_code", f'"{code}": {message}')

    parsers: dict[str, Any] = {
        "tip_size": lambda v: _text(v, SKU, "tip_size"),
        "ink_colour": lambda v: _text(v, SKU, "ink_colour"),
        "body_colour": lambda v: _text(v, SKU, "body_colour"),
        "paper_size": lambda v: _text(v, SKU, "paper_size"),
        "pack_size": lambda v: _whole(v, minimum=1, default=1),
        "price": _price,
        "stock": lambda v: _whole(v, minimum=0),
        "sku_active": lambda v: _flag(v, default=True),
    }
    for column, parse in parsers.items():
        if column not in cells:
            continue
        try:
            values[_SKU_FIELDS[column]] = parse(cells[column])
        except ValueError as exc:
            errors.add(line, column, str(exc))
    return _SkuIn(row=line, code=code, values=values)


def _check_rows(names: list[str], rows: list[list[str]], errors: _Errors) -> dict[str, _ProductIn]:
    lookups = _Lookups()
    products: dict[str, _ProductIn] = {}
    sku_rows: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # spreadsheets often leave blank lines at the end
        if len(row) != len(names):
            errors.add(line, "", f"has {len(row)} cells; the header has {len(names)}")
            continue
        cells = {name: cell.strip() for name, cell in zip(names, row, strict=True)}
        product = _parse_product(line, cells, lookups, errors)
        first = products.get(product.slug)
        if first is None:
            products[product.slug] = first = product
        else:
            for column, value in product.raw.items():
                if first.raw.get(column) != value:
                    errors.add(
                        line, column, f"differs from row {first.row} for product {product.slug}"
                    )
        sku = _parse_sku(line, cells, errors)
        if sku is None:
            continue
        if sku.code in sku_rows:
            errors.add(line, "sku_code", f"{sku.code} also appears on row {sku_rows[sku.code]}")
            continue
        sku_rows[sku.code] = line
        first.skus.append(sku)
    _check_sku_owners(products, errors)
    return products


def _check_sku_owners(products: dict[str, _ProductIn], errors: _Errors, size: int = 900) -> None:
    wanted = {sku.code: (product, sku) for product in products.values() for sku in product.skus}
    codes = list(wanted)
    # SQLite caps the parameters of one query, so a long IN list goes in slices.
    for start in range(0, len(codes), size):
        owners = SKU.objects.filter(code__in=codes[start : start + size]).values_list(
            "code", "product__slug"
        )
        for code, owner in owners:
            product, sku = wanted[code]
            if owner != product.slug:
                errors.add(
                    sku.row, "sku_code", f"{code} belongs to product {owner}; it cannot move"
                )


# ---------------------------------------------------------------- import: writing


def import_catalog_csv(
    *,
    file: IO[bytes] | bytes,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    max_errors: int = MAX_ERRORS,
) -> ImportReport:
    """Create or update products (by slug) and SKUs (by code) from a CSV file.

    Every row is checked first; if any is wrong nothing is written and the report lists the
    problems by row and column. Otherwise all rows are written in one transaction.
    """
    errors = _Errors(max_errors)
    text = _read_text(file, max_bytes=max_bytes, errors=errors)
    rows = None if text is None else _read_rows(text, max_rows=max_rows, errors=errors)
    names = None if rows is None else _read_header(rows[0], errors)
    if rows is None or names is None:
        return errors.report()
    products = _check_rows(names, rows[1:], errors)
    if errors:
        return errors.report()
    try:
        with transaction.atomic():
            return _write(products)
    except IntegrityError:
        errors.add(0, "", "The catalogue changed while importing; nothing was imported. Try again.")
        return errors.report()


def _write(products: dict[str, _ProductIn]) -> ImportReport:
    now = timezone.now()
    existing = Product.objects.in_bulk(list(products), field_name="slug")
    new_products: list[Product] = []
    changed_fields: set[str] = set()
    for slug, incoming in products.items():
        product = existing.get(slug)
        if product is None:
            product = Product(slug=slug)
            new_products.append(product)
        for name, value in incoming.values.items():
            setattr(product, name, value)
        changed_fields.update(incoming.values)
        product.updated_at = now
        existing[slug] = product
    created_slugs = {product.slug for product in new_products}
    Product.objects.bulk_create(new_products)
    updated_products = [p for p in existing.values() if p.slug not in created_slugs]
    if updated_products:
        Product.objects.bulk_update(
            updated_products, sorted({*changed_fields, "updated_at"}), batch_size=500
        )

    codes = [sku.code for incoming in products.values() for sku in incoming.skus]
    # Locked in id order (where rows lock) so what was available before the file is true
    # until the file's stock is written: that is how a SKU's return to stock is seen.
    skus = SKU.objects.select_for_update().order_by("pk").in_bulk(codes, field_name="code")
    available_before = {sku.pk: sku.available for sku in skus.values()}
    new_skus: list[SKU] = []
    sku_fields: set[str] = {"position"}
    for slug, incoming in products.items():
        for position, row in enumerate(incoming.skus):
            sku = skus.get(row.code)
            if sku is None:
                sku = SKU(product=existing[slug], code=row.code)
                new_skus.append(sku)
            for name, value in row.values.items():
                setattr(sku, name, value)
            sku_fields.update(row.values)
            sku.position = position
    SKU.objects.bulk_create(new_skus)
    if skus:
        SKU.objects.bulk_update(list(skus.values()), sorted(sku_fields), batch_size=500)
        available_after = {sku.pk: sku.available for sku in skus.values()}
        came_back = came_back_in_stock(available_before, available_after)
        record_restocks(SKU.objects.all(), sku_ids=came_back, at=now)

    ids = [product.id for product in existing.values()]
    refresh_listing_fields_in_bulk(product_ids=ids)
    reindex_products(ids)
    CatalogState.bump()
    return ImportReport(
        products_created=len(new_products),
        products_updated=len(updated_products),
        skus_created=len(new_skus),
        skus_updated=len(skus),
    )
