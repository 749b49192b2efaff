"""One listing engine for the category, brand and search pages.

A page gives a *scope* (the visible products of a category subtree, of a brand, or matching a
search); the customer narrows it with filters from the query string. Facets are counted in
the database in one UNION ALL query, each facet counted with every *other* active filter
applied, so a count says how many products ticking that box would show. A page of product
cards is one more query, whatever the page size.

Bad input never fails the page: each ignored value becomes a notice that says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from .listing_entries import ALL_PRODUCTS_SCOPE, brand_scope_key, category_scope_key
from .listing_facets import Counts, band_q, count_facets, variant_q
from .listing_query import (
    BANDS_BY_KEY,
    MULTI_FILTERS,
    PRICE_BANDS,
    SORTS,
    Filters,
    ListingQuery,
    ignored_notice,
    is_slug,
)
from .models import SKU, Brand, CatalogState, Category, Product
from .money import format_money
from .search import SearchQuery, get_backend

MAX_CATEGORY_DEPTH = 12


class PageOutOfRange(Exception):  # noqa: N818 - a domain noun, like Http404
    """A page number past the last page of a listing."""


# ---------------------------------------------------------------- filters as SQL


def _product_q(filters: Filters, *, skip: str = "", prefix: str = "") -> Q:
    """The product-level filters (all but ``skip``) on a query whose products are at ``prefix``."""
    q = Q()
    if filters.brand and skip != "brand":
        q &= Q(**{f"{prefix}brand__slug__in": filters.brand})
    if filters.type and skip != "type":
        q &= Q(**{f"{prefix}product_type__slug__in": filters.type})
    band = BANDS_BY_KEY.get(filters.price)
    if band and skip != "price":
        q &= band_q(band, prefix=prefix)
    if filters.price_min is not None:
        q &= Q(**{f"{prefix}min_price__gte": filters.price_min})
    if filters.price_max is not None:
        q &= Q(**{f"{prefix}min_price__lte": filters.price_max})
    if filters.in_stock and skip != "stock":
        q &= Q(**{f"{prefix}in_stock": True})
    return q


def _all_q(filters: Filters, *, skip: str = "") -> Q:
    q = _product_q(filters, skip=skip)
    sku_q = variant_q(filters, skip=skip)
    if sku_q:
        variants = SKU.objects.filter(sku_q, product=OuterRef("pk"), is_active=True)
        q &= Q(Exists(variants))
    return q


# ---------------------------------------------------------------- facets


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    legend: str
    options: tuple[FacetOption, ...]
    multiple: bool = True


@dataclass(frozen=True)
class Scope:
    """The products a page lists before any filter: visible products only."""

    products: QuerySet[Product]
    # The ``ListingEntry.scope`` whose rows the facets are counted over.
    key: str
    search: SearchQuery | None = None
    # Facets the page itself fixes, not offered as filters (the brand page's brand).
    fixed: frozenset[str] = frozenset()


def _drop_unknown(filters: Filters, counts: Counts, notices: list[str]) -> tuple[Filters, bool]:
    """Remove chosen values that no product in scope has; say whether a filter vanished."""
    changes: dict[str, tuple[str, ...]] = {}
    vanished = False
    for name, (what, _) in MULTI_FILTERS.items():
        chosen = filters.values(name)
        if not chosen:
            continue
        known = tuple(value for value in chosen if value in counts.get(name, {}))
        for value in chosen:
            if value not in known:
                notices.append(
                    ignored_notice(what, value, f"no {what} of that name among these products")
                )
        if known != chosen:
            changes[name] = known
            vanished = vanished or not known
    for name, values in changes.items():
        filters = filters.with_values(name, values)
    return filters, vanished


def _sort_key(option: FacetOption) -> tuple[float, str]:
    # Tip sizes read best in size order: "0.38 mm" before "0.5 mm" before "F".
    number = re.match(r"\d+(?:\.\d+)?", option.label)
    return (float(number.group()) if number else float("inf"), option.label.casefold())


def _build_facets(scope: Scope, filters: Filters, counts: Counts) -> list[Facet]:
    facets: list[Facet] = []
    groups = [("brand", "Brand"), ("type", "Type"), ("tip", "Tip size"), ("ink", "Ink colour")]
    for name, legend in groups:
        if name in scope.fixed:
            continue
        chosen = set(filters.values(name))
        options = [
            FacetOption(value=key, label=label, count=n, selected=key in chosen)
            for key, (label, n) in counts.get(name, {}).items()
            if n > 0 or key in chosen
        ]
        if name == "tip":
            options.sort(key=_sort_key)
        else:
            options.sort(key=lambda o: o.label.casefold())
        if options:
            facets.append(Facet(name=name, legend=legend, options=tuple(options)))
    price_counts = counts.get("price", {})
    bands = [
        FacetOption(
            value=band.key,
            label=band.label,
            count=price_counts.get(band.key, ("", 0))[1],
            selected=filters.price == band.key,
        )
        for band in PRICE_BANDS
    ]
    bands = [option for option in bands if option.count > 0 or option.selected]
    if bands:
        facets.append(Facet(name="price", legend="Price", options=tuple(bands), multiple=False))
    return facets


# ---------------------------------------------------------------- the page of products


@dataclass(frozen=True)
class ProductCard:
    id: int
    name: str
    slug: str
    brand_name: str
    min_price: Decimal
    max_price: Decimal
    in_stock: bool
    lead_sku_code: str
    rating_count: int = 0
    rating_average: Decimal | None = None

    @property
    def has_price_range(self) -> bool:
        return self.min_price != self.max_price


_CARD_FIELDS = (
    "id",
    "name",
    "slug",
    "min_price",
    "max_price",
    "in_stock",
    "lead_sku_code",
    "rating_count",
    "rating_average",
)


def _browse_page(
    products: QuerySet[Product], *, sort: str, offset: int, limit: int
) -> list[ProductCard]:
    ordering = SORTS[sort][1] or SORTS["name"][1]
    rows = products.order_by(*ordering).values(*_CARD_FIELDS, brand_name=F("brand__name"))[
        offset : offset + limit
    ]
    return [ProductCard(**row) for row in rows]


def _ranked_page(
    products: QuerySet[Product], *, search: SearchQuery, offset: int, limit: int
) -> list[ProductCard]:
    scored_sql, scored_params = get_backend().scored_matches_sql(search)
    ids_sql, ids_params = products.order_by().values("pk").query.sql_with_params()
    product_table, brand_table = Product._meta.db_table, Brand._meta.db_table
    columns = ", ".join(f"p.{name}" for name in _CARD_FIELDS)
    sql = (
        f"SELECT {columns}, b.name AS brand_name FROM ({scored_sql}) AS m "  # noqa: S608 - only our own SQL is formatted in
        f"JOIN {product_table} p ON p.id = m.product_id "
        f"JOIN {brand_table} b ON b.id = p.brand_id "
        f"WHERE p.id IN ({ids_sql}) "
        "ORDER BY m.score DESC, p.name, p.id LIMIT %s OFFSET %s"
    )
    params = [*scored_params, *ids_params, limit, offset]
    # raw() applies the fields' converters, so prices come back as Decimal on every database.
    return [
        ProductCard(
            id=p.id,
            name=p.name,
            slug=p.slug,
            brand_name=p.brand_name,  # type: ignore[attr-defined]
            min_price=p.min_price,  # type: ignore[arg-type]
            max_price=p.max_price,  # type: ignore[arg-type]
            in_stock=p.in_stock,
            lead_sku_code=p.lead_sku_code,
            rating_count=p.rating_count,
            rating_average=p.rating_average,
        )
        for p in Product.objects.raw(sql, params)
    ]


# ---------------------------------------------------------------- the listing


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None stands for a gap ("…")
    url: str
    current: bool = False


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_url: str


@dataclass(frozen=True)
class Listing:
    products: list[ProductCard]
    facets: list[Facet]
    total: int
    in_stock_count: int
    filters: Filters
    sort: str
    sorts: tuple[tuple[str, str], ...]
    page: int
    num_pages: int
    page_size: int
    notices: tuple[str, ...]
    base_params: tuple[tuple[str, str], ...] = ()  # parameters the page carries (q)
    active_filters: tuple[ActiveFilter, ...] = field(default=())

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.products) - 1 if self.products else 0

    def query_string(
        self, *, filters: Filters | None = None, sort: str | None = None, page: int = 1
    ) -> str:
        pairs = [*self.base_params, *(filters or self.filters).as_params()]
        chosen_sort = self.sort if sort is None else sort
        if chosen_sort != self.sorts[0][0]:
            pairs.append(("sort", chosen_sort))
        if page > 1:
            pairs.append(("page", str(page)))
        return "?" + urlencode(pairs) if pairs else "?"

    @property
    def canonical_query(self) -> str:
        """Scope and filters only: sort order and page number are left out."""
        pairs = [*self.base_params, *self.filters.as_params()]
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def carried_params(self) -> list[tuple[str, str]]:
        """What the sort form must carry along: scope and filters."""
        return [*self.base_params, *self.filters.as_params()]

    @property
    def page_links(self) -> list[PageLink]:
        if self.num_pages <= 1:
            return []
        shown = {1, self.num_pages, *range(self.page - 2, self.page + 3)}
        links: list[PageLink] = []
        previous = 0
        for number in sorted(n for n in shown if 1 <= n <= self.num_pages):
            if number - previous > 1:
                links.append(PageLink(number=None, url=""))
            links.append(
                PageLink(
                    number=number, url=self.query_string(page=number), current=number == self.page
                )
            )
            previous = number
        return links

    @property
    def previous_url(self) -> str:
        return self.query_string(page=self.page - 1) if self.page > 1 else ""

    @property
    def next_url(self) -> str:
        return self.query_string(page=self.page + 1) if self.page < self.num_pages else ""

    @property
    def clear_url(self) -> str:
        return self.query_string(filters=Filters())


def _active_filters(listing: Listing, facets: Iterable[Facet]) -> tuple[ActiveFilter, ...]:
    labels = {(f.name, o.value): o.label for f in facets for o in f.options}
    filters = listing.filters
    active: list[ActiveFilter] = []
    for name in MULTI_FILTERS:
        for value in filters.values(name):
            rest = tuple(v for v in filters.values(name) if v != value)
            url = listing.query_string(filters=filters.with_values(name, rest))
            active.append(ActiveFilter(label=labels.get((name, value), value), remove_url=url))
    if filters.price:
        url = listing.query_string(filters=replace(filters, price=""))
        active.append(ActiveFilter(label=BANDS_BY_KEY[filters.price].label, remove_url=url))
    if filters.price_min is not None or filters.price_max is not None:
        low = "any" if filters.price_min is None else format_money(filters.price_min)
        high = "any" if filters.price_max is None else format_money(filters.price_max)
        url = listing.query_string(filters=replace(filters, price_min=None, price_max=None))
        active.append(ActiveFilter(label=f"Price {low} to {high}", remove_url=url))
    if filters.in_stock:
        url = listing.query_string(filters=replace(filters, in_stock=False))
        active.append(ActiveFilter(label="In stock", remove_url=url))
    return tuple(active)


def list_products(
    *,
    scope: Scope,
    query: ListingQuery,
    sorts: Sequence[str],
    page_size: int,
    base_params: Mapping[str, str] | None = None,
) -> Listing:
    """One page of the scope under the query's filters, with facets. Raises PageOutOfRange."""
    notices = list(query.notices)
    filters = query.filters
    for name in scope.fixed:
        if filters.values(name):
            notices.append(
                f"Ignored the filter {MULTI_FILTERS[name][0]}: this page lists one already."
            )
            filters = filters.with_values(name, ())

    matching = None if scope.search is None else get_backend().matching_ids_sql(scope.search)
    counts = count_facets(
        scope_key=scope.key, filters=filters, fixed=scope.fixed, matching=matching
    )
    filters, vanished = _drop_unknown(filters, counts, notices)
    if vanished:
        # A filter whose every value was unknown matched nothing; count again without it.
        counts = count_facets(
            scope_key=scope.key, filters=filters, fixed=scope.fixed, matching=matching
        )

    total = counts.get("total", {}).get("", ("", 0))[1]
    num_pages = max(1, -(-total // page_size))
    if query.page > num_pages:
        raise PageOutOfRange(query.page)
    offset = (query.page - 1) * page_size
    filtered = scope.products.filter(_all_q(filters))
    if query.sort == "relevance" and scope.search is not None:
        cards = _ranked_page(filtered, search=scope.search, offset=offset, limit=page_size)
    elif total:
        cards = _browse_page(filtered, sort=query.sort, offset=offset, limit=page_size)
    else:
        cards = []

    facets = _build_facets(scope, filters, counts)
    listing = Listing(
        products=cards,
        facets=facets,
        total=total,
        in_stock_count=counts.get("stock", {}).get("1", ("", 0))[1],
        filters=filters,
        sort=query.sort,
        sorts=tuple((key, SORTS[key][0]) for key in sorts),
        page=query.page,
        num_pages=num_pages,
        page_size=page_size,
        notices=tuple(notices),
        base_params=tuple((base_params or {}).items()),
    )
    return replace(listing, active_filters=_active_filters(listing, facets))


# ---------------------------------------------------------------- scopes


def search_scope(search: SearchQuery) -> Scope:
    """Visible products whose search document matches."""
    sql, params = get_backend().matching_ids_sql(search)
    products = Product.objects.visible().filter(id__in=RawSQL(sql, params))  # noqa: S611 - user terms are params  # nosec
    return Scope(products=products, key=ALL_PRODUCTS_SCOPE, search=search)


def browse_all_scope() -> Scope:
    return Scope(products=Product.objects.visible(), key=ALL_PRODUCTS_SCOPE)


def brand_scope(brand: Brand) -> Scope:
    return Scope(
        products=Product.objects.visible().filter(brand=brand),
        key=brand_scope_key(brand.id),
        fixed=frozenset({"brand"}),
    )


def category_scope(category: Category) -> Scope:
    return Scope(
        products=Product.objects.visible().in_category(category),
        key=category_scope_key(category.id),
    )


@dataclass(frozen=True)
class CategoryFamily:
    category: Category
    breadcrumbs: list[Category]  # from the top, ending with the category itself
    children: list[Category]


def _category_tree(generation: int) -> dict[str, Category]:
    # Every category by path, in the order a parent lists its children.
    rows = Category.objects.order_by("depth", "position", "name")
    return {row.path: row for row in rows}


def get_category_family(*, path: str) -> CategoryFamily:
    """A category by path with its ancestors and children, from the category tree this
    process keeps for the catalogue generation (categories change it): no query when kept.

    Raises Category.DoesNotExist.
    """
    parts = path.strip("/").split("/")
    if len(parts) > MAX_CATEGORY_DEPTH or not all(is_slug(part) for part in parts):
        raise Category.DoesNotExist(path)
    path = "/".join(parts)
    by_path = CatalogState.per_process("category-tree", _category_tree)
    if path not in by_path:
        raise Category.DoesNotExist(path)
    lineage = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    prefix = f"{path}/"
    return CategoryFamily(
        category=by_path[path],
        breadcrumbs=[by_path[p] for p in lineage if p in by_path],
        children=[
            row
            for row_path, row in by_path.items()
            if row.depth == len(parts) and row_path.startswith(prefix)
        ],
    )


@dataclass(frozen=True)
class BrandEntry:
    name: str
    slug: str
    country: str
    product_count: int


def list_brand_index() -> list[BrandEntry]:
    """Every brand with its number of visible products, by name, in one query."""
    visible = Q(products__is_active=True, products__min_price__isnull=False)
    rows = (
        Brand.objects.order_by("name")
        .annotate(product_count=Count("products", filter=visible))
        .values("name", "slug", "country", "product_count")
    )
    return [BrandEntry(**row) for row in rows]
