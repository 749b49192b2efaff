"""What a listing page reads from its query string: filters, sort order and page number.

Parsing never fails: each value that cannot be used becomes a notice saying why it was ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.http import QueryDict

from .models import slug_validator
from .money import format_money

MAX_VALUES_PER_FILTER = 20
MAX_PRICE = Decimal("1000000")
MAX_PAGE_DIGITS = 9
NOTICE_VALUE_CHARS = 40


# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class PriceBand:
    key: str
    low: Decimal | None  # inclusive
    high: Decimal | None  # exclusive

    @property
    def label(self) -> str:
        """ "Under $5", "$5 to $10", "$100 and over", in the shop's currency."""
        low = None if self.low is None else format_money(self.low, whole=True)
        high = None if self.high is None else format_money(self.high, whole=True)
        if low is None:
            return f"Under {high}"
        if high is None:
            return f"{low} and over"
        return f"{low} to {high}"


PRICE_BANDS: tuple[PriceBand, ...] = (
    PriceBand("under-5", None, Decimal(5)),
    PriceBand("5-10", Decimal(5), Decimal(10)),
    PriceBand("10-25", Decimal(10), Decimal(25)),
    PriceBand("25-50", Decimal(25), Decimal(50)),
    PriceBand("50-100", Decimal(50), Decimal(100)),
    PriceBand("over-100", Decimal(100), None),
)
BANDS_BY_KEY = {band.key: band for band in PRICE_BANDS}

SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "relevance": ("Best match", ()),
    "name": ("Name", ("name", "id")),
    "price-asc": ("Price, low to high", ("min_price", "name", "id")),
    "price-desc": ("Price, high to low", ("-min_price", "name", "id")),
    "newest": ("Newest first", ("-created_at", "-id")),
}
BROWSE_SORTS = ("name", "price-asc", "price-desc", "newest")
SEARCH_SORTS = ("relevance", *BROWSE_SORTS)

# Multi-valued filters: query parameter -> (what the customer calls it, longest value).
MULTI_FILTERS = {
    "brand": ("brand", 80),
    "type": ("type", 60),
    "tip": ("tip size", 20),
    "ink": ("ink", 40),
}
FILTER_PARAMS = ("brand", "type", "tip", "ink", "price", "price_min", "price_max", "in_stock")


# ---------------------------------------------------------------- parsing the query string


@dataclass(frozen=True)
class Filters:
    brand: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    tip: tuple[str, ...] = ()
    ink: tuple[str, ...] = ()
    price: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool = False

    def values(self, name: str) -> tuple[str, ...]:
        return tuple(getattr(self, name))

    def with_values(self, name: str, values: tuple[str, ...]) -> Filters:
        multi = {key: self.values(key) for key in MULTI_FILTERS}
        multi[name] = values
        return replace(
            self, brand=multi["brand"], type=multi["type"], tip=multi["tip"], ink=multi["ink"]
        )

    def is_empty(self) -> bool:
        return self == Filters()

    def as_params(self) -> list[tuple[str, str]]:
        """The filters as query-string pairs, in a stable order."""
        pairs = [(name, value) for name in MULTI_FILTERS for value in self.values(name)]
        if self.price:
            pairs.append(("price", self.price))
        if self.price_min is not None:
            pairs.append(("price_min", str(self.price_min)))
        if self.price_max is not None:
            pairs.append(("price_max", str(self.price_max)))
        if self.in_stock:
            pairs.append(("in_stock", "1"))
        return pairs


@dataclass(frozen=True)
class ListingQuery:
    filters: Filters
    sort: str
    page: int
    notices: tuple[str, ...] = ()


def shown_value(value: str) -> str:
    return value if len(value) <= NOTICE_VALUE_CHARS else value[:NOTICE_VALUE_CHARS] + "…"


def ignored_notice(what: str, value: str, reason: str) -> str:
    return f"Ignored the filter {what} “{shown_value(value)}”: {reason}."


def is_slug(value: str) -> bool:
    try:
        slug_validator(value)
    except ValidationError:
        return False
    return True


def _printable(value: str) -> bool:
    return value.isprintable() and value.strip() == value and bool(value)


def _parse_multi(params: QueryDict, name: str, notices: list[str]) -> tuple[str, ...]:
    what, longest = MULTI_FILTERS[name]
    kept: list[str] = []
    for value in params.getlist(name):
        if not value:
            continue
        if len(value) > longest or not _printable(value):
            notices.append(ignored_notice(what, value, "that is not a valid value"))
        elif name in {"brand", "type"} and not is_slug(value):
            notices.append(ignored_notice(what, value, "that is not a valid name"))
        elif value in kept:
            continue
        elif len(kept) >= MAX_VALUES_PER_FILTER:
            notices.append(
                ignored_notice(what, value, f"at most {MAX_VALUES_PER_FILTER} can be chosen")
            )
        else:
            kept.append(value)
    return tuple(kept)


def _parse_price(params: QueryDict, name: str, notices: list[str]) -> Decimal | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    label = "minimum price" if name == "price_min" else "maximum price"
    try:
        amount = Decimal(raw.removeprefix("$"))
    except (InvalidOperation, ValueError):
        notices.append(ignored_notice(label, raw, "that is not an amount"))
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        notices.append(ignored_notice(label, raw, "that is not a price we sell at"))
        return None
    return amount.quantize(Decimal("0.01"))


def _parse_page(params: QueryDict, notices: list[str]) -> int:
    raw = params.get("page", "").strip()
    if not raw:
        return 1
    if not raw.isascii() or not raw.isdigit() or int(raw[: MAX_PAGE_DIGITS + 1] or 0) < 1:
        notices.append(f"Ignored the page number “{shown_value(raw)}”: showing the first page.")
        return 1
    # Anything longer is past every last page, and it must not become a huge integer.
    return int(raw) if len(raw) <= MAX_PAGE_DIGITS else 10**MAX_PAGE_DIGITS


def parse_listing_query(params: QueryDict, *, sorts: Sequence[str]) -> ListingQuery:
    """Read filters, sort and page from a query string; bad values become notices."""
    notices: list[str] = []
    multi = {name: _parse_multi(params, name, notices) for name in MULTI_FILTERS}

    band = params.get("price", "").strip()
    if band and band not in BANDS_BY_KEY:
        notices.append(ignored_notice("price", band, "choose one of the listed price ranges"))
        band = ""
    price_min = _parse_price(params, "price_min", notices)
    price_max = _parse_price(params, "price_max", notices)
    if price_min is not None and price_max is not None and price_min > price_max:
        notices.append(
            f"Ignored the price range {format_money(price_min)} to {format_money(price_max)}: "
            "the minimum is above the maximum."
        )
        price_min = price_max = None

    stock_raw = params.get("in_stock", "").strip().lower()
    in_stock = stock_raw in {"1", "on", "true", "yes"}
    if stock_raw and not in_stock and stock_raw not in {"0", "off", "false", "no"}:
        notices.append(
            ignored_notice("in stock", stock_raw, "use 1 to show only products in stock")
        )

    sort = params.get("sort", "").strip() or sorts[0]
    if sort not in sorts:
        notices.append(f"Ignored the sort order “{shown_value(sort)}”: it is not one we offer.")
        sort = sorts[0]

    filters = Filters(
        brand=multi["brand"],
        type=multi["type"],
        tip=multi["tip"],
        ink=multi["ink"],
        price=band,
        price_min=price_min,
        price_max=price_max,
        in_stock=in_stock,
    )
    return ListingQuery(
        filters=filters, sort=sort, page=_parse_page(params, notices), notices=tuple(notices)
    )
