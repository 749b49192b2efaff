"""The catalogue's use cases, called by views, commands, jobs and other apps."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import F, Prefetch
from django.db.models.functions import Greatest
from django.utils import timezone

from bungu import shared_cache

from . import page_deps
from .models import (
    SKU,
    Brand,
    CatalogState,
    Category,
    ListingEntry,
    Product,
    ProductImage,
    StockState,
    dependencies_of_products,
    stock_state_of,
)
from .restocks import came_back_in_stock, record_restocks


def _top_categories(generation: int) -> list[Category]:
    key = f"nav:{generation}"
    tree: list[Category] | None = shared_cache.get(key)
    if tree is None:
        tree = list(Category.objects.filter(parent=None).prefetch_related("children"))
        shared_cache.set(key, tree, 3600)
    return tree


def list_top_categories() -> list[Category]:
    """The top-level categories with their children, kept until the catalogue changes: in
    the process (every page's layout shows them), else in the shared cache."""
    return CatalogState.per_process("nav", _top_categories)


# ---------------------------------------------------------------- home and product pages

FEATURED_LIMIT = 8

# A JSON document inside <script> must not be able to close the element or open a comment.
_SCRIPT_SAFE_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

_AVAILABILITY = {
    StockState.IN_STOCK: "https://schema.org/InStock",
    StockState.LOW: "https://schema.org/LimitedAvailability",
    StockState.SOLD_OUT: "https://schema.org/OutOfStock",
}


def list_featured_products(*, limit: int = FEATURED_LIMIT) -> list[Product]:
    """The visible products staff chose to feature, with their brands, for the home page."""
    return list(Product.objects.visible().filter(is_featured=True).select_related("brand")[:limit])


def list_brands_with_products() -> list[Brand]:
    """Brands that have at least one visible product, by name."""
    return list(Brand.objects.filter(products__in=Product.objects.visible()).distinct())


@dataclass(frozen=True)
class ProductPage:
    """Everything the product page shows, read in a fixed number of queries."""

    product: Product
    skus: list[SKU]
    selected: SKU
    # True when the customer asked for a variant this product does not sell (any more).
    unknown_sku_requested: bool
    breadcrumbs: list[Category]
    # Photos for the selected variant first, then the product's general photos.
    images: list[ProductImage]
    specs: list[tuple[str, str]]


def _spec_rows(raw: object) -> list[tuple[str, str]]:
    # Specs are edited as JSON in the admin; a malformed row is skipped, never a 500.
    if not isinstance(raw, list):
        return []
    rows = []
    for row in raw:
        if isinstance(row, list | tuple) and len(row) == 2 and all(row):
            rows.append((str(row[0]), str(row[1])))
    return rows


def get_product_page(*, slug: str, sku_code: str | None) -> ProductPage:
    """Read a visible product, its active SKUs and photos. Raises Product.DoesNotExist."""
    product = (
        Product.objects.visible()
        .select_related("brand", "category")
        .prefetch_related(
            Prefetch(
                "skus",
                queryset=SKU.objects.filter(is_active=True).order_by("position", "id"),
                to_attr="active_skus",
            ),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .get(slug=slug)
    )
    skus: list[SKU] = product.active_skus  # type: ignore[attr-defined]
    if not skus:
        # The listing fields lag behind a SKU that was just switched off.
        raise Product.DoesNotExist(slug)
    by_code = {sku.code: sku for sku in skus}
    lead = by_code.get(product.lead_sku_code, skus[0])
    requested = by_code.get(sku_code) if sku_code else None
    selected = requested or lead

    parts = product.category.path.split("/")
    # The category's own path is always in the list, so this is always exactly one query.
    paths = ["/".join(parts[: depth + 1]) for depth in range(len(parts))]
    breadcrumbs = list(Category.objects.filter(path__in=paths).order_by("depth"))

    photos = list(product.images.all())
    images = [i for i in photos if i.sku_id == selected.id]
    images += [i for i in photos if i.sku_id is None]
    return ProductPage(
        product=product,
        skus=skus,
        selected=selected,
        unknown_sku_requested=bool(sku_code) and requested is None,
        breadcrumbs=breadcrumbs,
        images=images,
        specs=_spec_rows(product.specs),
    )


def build_product_json_ld(*, page: ProductPage, product_url: str, image_urls: list[str]) -> str:
    """The schema.org Product of a product page as JSON that is safe inside a script element."""
    product = page.product
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.summary or product.description,
        "url": product_url,
        "image": image_urls,
        "sku": page.selected.code,
        "brand": {"@type": "Brand", "name": product.brand.name},
        "category": product.category.name,
        "offers": [
            {
                "@type": "Offer",
                "sku": sku.code,
                "name": sku.variant_label or product.name,
                "url": f"{product_url}?{urlencode({'sku': sku.code})}",
                "price": f"{sku.price:.2f}",
                "priceCurrency": settings.BUNGU_CURRENCY,
                "availability": _AVAILABILITY[sku.stock_state],
            }
            for sku in page.skus
        ],
    }
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE_JSON)


class SkuLike(Protocol):
    """What the listing rule reads from a SKU: a saved SKU or one about to be created."""

    @property
    def code(self) -> str: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def available(self) -> int: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def position(self) -> int: ...


@dataclass(frozen=True)
class ListingFields:
    min_price: Decimal | None
    max_price: Decimal | None
    in_stock: bool
    lead_sku_code: str


def compute_listing_fields(skus: Iterable[SkuLike]) -> ListingFields:
    """The listing fields a product gets from its SKUs, by the rule of
    ``Product.refresh_listing_fields``; SKUs are taken in the order given within a position."""
    active = sorted((s for s in skus if s.is_active), key=lambda s: s.position)
    lead = next((s for s in active if s.available > 0), active[0] if active else None)
    return ListingFields(
        min_price=min((s.price for s in active), default=None),
        max_price=max((s.price for s in active), default=None),
        in_stock=any(s.available > 0 for s in active),
        lead_sku_code=lead.code if lead else "",
    )


def refresh_listing_fields_in_bulk(*, product_ids: Iterable[int], chunk_size: int = 500) -> int:
    """Recompute the listing fields of many products in a few queries; returns how many."""
    ids = sorted(set(product_ids))
    now = timezone.now()
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        skus_by_product: dict[int, list[SKU]] = defaultdict(list)
        ordered = SKU.objects.filter(product_id__in=chunk).order_by("product_id", "position", "id")
        for sku in ordered:
            skus_by_product[sku.product_id].append(sku)
        products = list(Product.objects.filter(id__in=chunk))
        for product in products:
            fields = compute_listing_fields(skus_by_product[product.id])
            product.min_price = fields.min_price
            product.max_price = fields.max_price
            product.in_stock = fields.in_stock
            product.lead_sku_code = fields.lead_sku_code
            product.updated_at = now
        Product.objects.bulk_update(
            products, ["min_price", "max_price", "in_stock", "lead_sku_code", "updated_at"]
        )
        # bulk_update saves no product one by one: their listing entries follow here.
        ListingEntry.refresh_for(chunk)
    return len(ids)


# ---------------------------------------------------------------- buying


class NotPurchasable(Exception):  # noqa: N818 - a domain noun (style.md)
    """The SKU is unknown, or it or its product is withdrawn.

    ``sku`` is the withdrawn SKU (with its product), so a caller can name it; ``None`` when
    no SKU has that id."""

    def __init__(self, sku_id: int, sku: SKU | None) -> None:
        super().__init__(f"SKU {sku_id} is not purchasable.")
        self.sku = sku


def get_purchasable_sku(*, sku_id: int) -> SKU:
    """The SKU with its product, if a customer may buy or save it (one query); the one rule
    the cart and the wish lists share. Raises NotPurchasable."""
    sku = SKU.objects.select_related("product").filter(pk=sku_id).first()
    if sku is None or not sku.is_purchasable:
        raise NotPurchasable(sku_id, sku)
    return sku


# ---------------------------------------------------------------- ratings

RATING_MIN, RATING_MAX = 1, 5


def set_rating_summary(*, product_id: int, count: int, average: Decimal | None) -> None:
    """Store the count and mean rating of a product's approved reviews on the product, so pages
    read them with the product. Raises Product.DoesNotExist, or ValueError for an impossible
    summary."""
    if count < 0:
        raise ValueError("A rating count cannot be negative.")
    if (count == 0) != (average is None):
        raise ValueError("An average is given exactly when there are ratings.")
    if average is not None:
        if not RATING_MIN <= average <= RATING_MAX:
            raise ValueError(f"An average rating lies between {RATING_MIN} and {RATING_MAX}.")
        average = average.quantize(Decimal("0.01"))
    # An update, not save(): the product's other fields may be being edited by staff meanwhile.
    if not Product.objects.filter(id=product_id).update(rating_count=count, rating_average=average):
        raise Product.DoesNotExist(product_id)
    # The product and listing pages show the summary: their cached copies must go.
    page_deps.mark_changed(dependencies_of_products({product_id}))


# ---------------------------------------------------------------- stock: hold, release, consume
# ``SKU.allocated`` counts units promised to orders and to checkouts on their way to the card
# processor. Every change is one conditional UPDATE, so two buyers of the last unit cannot both
# win: on SQLite writes are serial (IMMEDIATE transactions), on PostgreSQL the second UPDATE
# waits for the first's row lock and re-reads the row. The check constraint
# ``sku_allocated_within_stock`` refuses an oversell whatever the code does.


class OutOfStock(Exception):  # noqa: N818 - a domain noun (style.md)
    """Not enough of some SKUs is available; ``short`` maps each SKU id to what is left."""

    def __init__(self, short: Mapping[int, int]) -> None:
        self.short = dict(short)
        super().__init__(f"not enough stock of SKUs {sorted(self.short)}")


def _in_lock_order(lines: Mapping[int, int]) -> list[tuple[int, int]]:
    """The lines by SKU id (one fixed order, so two holds never wait on each other); refuses
    quantities that are not positive whole numbers."""
    for sku_id, quantity in lines.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValueError(f"SKU {sku_id}: a quantity is a whole number of at least 1")
    return sorted(lines.items())


def _stock_snapshot(sku_ids: Iterable[int], *, lock: bool = False) -> dict[int, tuple[int, int]]:
    """SKU id -> (product id, units available), in one query. ``lock``: the rows are locked in
    id order (where the database has row locks), so the figures stay true until the change
    that follows has written them: no other transaction's change can slip in between and
    make a SKU look as if it had not come back in stock."""
    skus = SKU.objects.filter(pk__in=list(sku_ids))
    if lock:
        skus = skus.select_for_update().order_by("pk")
    rows = skus.values_list("pk", "product_id", "stock", "allocated")
    return {
        pk: (product_id, max(stock - allocated, 0)) for pk, product_id, stock, allocated in rows
    }


def _follow_stock_change(before: dict[int, tuple[int, int]]) -> None:
    """After a stock change: redo the listing fields (in stock, lead SKU) of the products
    whose availability crossed zero, and make stale the cached pages of the products whose
    shown stock state (in stock, a few left, sold out) changed. A change that shows nowhere,
    as most orders' are, makes no page stale. SKUs that came back in stock are recorded."""
    after = _stock_snapshot(before)
    came_back = came_back_in_stock(
        {pk: was for pk, (_, was) in before.items()}, {pk: now for pk, (_, now) in after.items()}
    )
    if came_back:
        record_restocks(SKU.objects.all(), sku_ids=came_back, at=timezone.now())
    crossed_zero: set[int] = set()
    shown: set[int] = set()
    for sku_id, (product_id, was) in before.items():
        now = after.get(sku_id, (product_id, was))[1]
        if (was > 0) != (now > 0):
            crossed_zero.add(product_id)
        if stock_state_of(was) != stock_state_of(now):
            shown.add(product_id)
    if crossed_zero:
        refresh_listing_fields_in_bulk(product_ids=crossed_zero)
    if shown:
        page_deps.mark_changed(dependencies_of_products(shown))


def _give_back(ordered: list[tuple[int, int]]) -> None:
    for sku_id, quantity in ordered:
        # Never below zero, even if a caller releases what it no longer holds.
        SKU.objects.filter(pk=sku_id).update(allocated=Greatest(F("allocated") - quantity, 0))


@transaction.atomic
def hold_stock(*, lines: Mapping[int, int], release: Mapping[int, int] | None = None) -> None:
    """Promise ``lines`` (SKU id -> units), all or none. ``release``: the same buyer's earlier
    hold, given back first in the same transaction, so their own hold is not counted against
    them. Raises OutOfStock (then nothing changed) or ValueError for a bad quantity."""
    ordered = _in_lock_order(lines)
    given_back = _in_lock_order(release) if release else []
    before = _stock_snapshot({sku_id for sku_id, _ in [*ordered, *given_back]}, lock=True)
    _give_back(given_back)
    short: dict[int, int] = {}
    for sku_id, quantity in ordered:
        taken = SKU.objects.filter(pk=sku_id, stock__gte=F("allocated") + quantity).update(
            allocated=F("allocated") + quantity
        )
        if not taken:
            left = SKU.objects.filter(pk=sku_id).values_list("stock", "allocated").first()
            short[sku_id] = max(left[0] - left[1], 0) if left else 0
    if short:
        raise OutOfStock(short)
    _follow_stock_change(before)


@transaction.atomic
def release_stock(*, lines: Mapping[int, int]) -> None:
    """Give back units held or allocated before (an expired checkout, a cancelled order).
    Raises ValueError for a bad quantity."""
    ordered = _in_lock_order(lines)
    before = _stock_snapshot((sku_id for sku_id, _ in ordered), lock=True)
    _give_back(ordered)
    _follow_stock_change(before)


class StockMismatch(Exception):  # noqa: N818 - a domain noun (style.md)
    """Consuming more than is allocated or on hand: the caller's books are wrong."""


@transaction.atomic
def consume_stock(*, lines: Mapping[int, int]) -> None:
    """Units allocated to an order leave the warehouse (shipping): on hand and allocated both
    go down. Raises StockMismatch (nothing changed) when a SKU has less allocated."""
    for sku_id, quantity in _in_lock_order(lines):
        done = SKU.objects.filter(pk=sku_id, allocated__gte=quantity, stock__gte=quantity).update(
            stock=F("stock") - quantity, allocated=F("allocated") - quantity
        )
        if not done:
            raise StockMismatch(f"SKU {sku_id} has fewer than {quantity} units allocated")


@transaction.atomic
def restock(*, lines: Mapping[int, int]) -> None:
    """Units that came back (a return received in good order) are on hand again. A SKU
    deleted meanwhile is skipped. Raises ValueError for a bad quantity."""
    ordered = _in_lock_order(lines)
    before = _stock_snapshot((sku_id for sku_id, _ in ordered), lock=True)
    for sku_id, quantity in ordered:
        SKU.objects.filter(pk=sku_id).update(stock=F("stock") + quantity)
    _follow_stock_change(before)


def get_available(*, sku_ids: Iterable[int]) -> dict[int, int]:
    """Units still available of each SKU (stock less allocated), by id."""
    rows = SKU.objects.filter(pk__in=list(sku_ids)).values_list("pk", "stock", "allocated")
    return {pk: max(stock - allocated, 0) for pk, stock, allocated in rows}
