"""The catalogue's records. A product is what a customer browses; a SKU is what they buy."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from bungu import db_routing

from . import listing_entries, page_deps, restocks

LOW_STOCK_THRESHOLD = 5

T = TypeVar("T")

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lower-case letters, digits and single hyphens."
)


class CatalogState(models.Model):
    """One row whose ``generation`` moves on every catalogue change.

    Cached catalogue pages are keyed by it, so a change anywhere invalidates them on every
    worker. Each worker remembers the value for ``BUNGU_CATALOG_GENERATION_TTL`` seconds, so
    a cache hit needs no query at all; another worker's change shows within that time, the
    worker's own change at once.
    """

    generation = models.PositiveBigIntegerField(default=1)

    # (generation, monotonic time read) of this process; None when it must be read again.
    _remembered: ClassVar[tuple[int, float] | None] = None
    # name -> (generation, value): what this process built for one generation (``per_process``).
    _kept: ClassVar[dict[str, tuple[int, Any]]] = {}

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="catalogstate_single_row")]

    def __str__(self) -> str:
        return f"catalogue generation {self.generation}"

    @classmethod
    def current(cls) -> int:
        remembered = cls._remembered
        now = time.monotonic()
        if remembered is not None and now - remembered[1] < settings.BUNGU_CATALOG_GENERATION_TTL:
            return remembered[0]
        value = cls.objects.filter(id=1).values_list("generation", flat=True).first() or 0
        # A value read inside a transaction may yet be rolled back: never remember it.
        if not transaction.get_connection().in_atomic_block:
            cls._remembered = (value, now)
        return value

    @classmethod
    def forget(cls) -> None:
        cls._remembered = None
        cls._kept = {}

    @classmethod
    def per_process(cls, name: str, build: Callable[[int], T]) -> T:
        """The value ``build(generation)`` made for the current generation, kept in this
        process until the generation moves on: no cache read, no unpickling per request.
        Only for what changes with the generation alone (the category tree), and read-only
        to its callers, since every request of the process shares it."""
        generation = cls.current()
        kept = cls._kept.get(name)
        if kept is not None and kept[0] == generation:
            return kept[1]  # type: ignore[no-any-return]
        value = build(generation)
        # A value read inside a transaction may yet be rolled back: never keep it.
        if not transaction.get_connection().in_atomic_block:
            cls._kept = {**cls._kept, name: (generation, value)}
        return value

    @classmethod
    def bump(cls) -> None:
        if not cls.objects.filter(id=1).update(generation=models.F("generation") + 1):
            cls.objects.get_or_create(id=1, defaults={"generation": 2})
        # With a replica, pages are made from the primary until it has replayed this.
        db_routing.note_catalog_change()
        transaction.on_commit(db_routing.note_catalog_change)
        cls.forget()
        transaction.on_commit(cls.forget)


class ChangesCatalog(models.Model):
    """Saving or deleting one of these records moves the catalogue generation on."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        CatalogState.bump()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        result = super().delete(*args, **kwargs)
        CatalogState.bump()
        return result


def dependencies_of_products(product_ids: Iterable[int]) -> set[str]:
    """The cached pages that can show these products, as the database has them (one query;
    none for no ids). See ``page_deps``."""
    ids = {pk for pk in product_ids if pk is not None}
    if not ids:
        return set()
    rows = Product.objects.filter(id__in=ids).values_list("slug", "category__path", "brand__slug")
    names: set[str] = set()
    for slug, path, brand_slug in rows:
        names |= page_deps.product_dependencies(
            slug=slug, category_path=path, brand_slug=brand_slug
        )
    return names


class ChangesProductPages(models.Model):
    """Saving or deleting one of these records makes stale the cached pages that can show
    its product (and the product it belonged to before), not the whole catalogue."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        page_deps.mark_changed(self._dependencies())
        self._product_ids_as_loaded = self._product_ids()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        names = self._dependencies()
        result = super().delete(*args, **kwargs)
        page_deps.mark_changed(names)
        return result

    def _product_ids(self) -> set[int]:
        raise NotImplementedError

    def _loaded_product_ids(self) -> set[int]:
        loaded: set[int] = getattr(self, "_product_ids_as_loaded", set())
        return loaded

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._product_ids_as_loaded = instance._product_ids()
        return instance

    def _dependencies(self) -> set[str]:
        return dependencies_of_products(self._product_ids() | self._loaded_product_ids())


class Brand(ChangesCatalog):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    country = models.CharField(max_length=60, default="Japan")
    founded = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:brand", kwargs={"slug": self.slug})


class Category(ChangesCatalog):
    """A node of the category tree. ``path`` ("pens/gel-pens") makes subtree queries one LIKE."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, validators=[slug_validator])
    parent = models.ForeignKey(
        "self", null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "slug"], name="category_unique_slug_per_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.path.replace("/", " > ") if self.path else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = f"{self.parent.path}/{self.slug}" if self.parent else self.slug
        self.depth = self.parent.depth + 1 if self.parent else 0
        super().save(*args, **kwargs)
        # Keep the descendants' materialised paths in step after a move or rename.
        for child in self.children.all():
            child.save()
        # Then the listing entries of its own products, whose ancestors may have changed
        # (each descendant's save did the same for its products, its paths already new).
        ListingEntry.refresh_for(self.products.values_list("id", flat=True))

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", kwargs={"path": self.path})


class ProductType(ChangesCatalog):
    """What kind of thing a product is (gel pen, fountain pen, notebook...): a search facet."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet["Product"]):
    def visible(self) -> ProductQuerySet:
        """Products a customer may see: active, with at least one active SKU."""
        return self.filter(is_active=True, min_price__isnull=False)

    def in_category(self, category: Category) -> ProductQuerySet:
        return self.filter(
            Q(category__path=category.path) | Q(category__path__startswith=f"{category.path}/")
        )


class Product(ChangesProductPages):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, validators=[slug_validator])
    brand = models.ForeignKey(Brand, related_name="products", on_delete=models.PROTECT)
    category = models.ForeignKey(Category, related_name="products", on_delete=models.PROTECT)
    product_type = models.ForeignKey(ProductType, related_name="products", on_delete=models.PROTECT)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    # Specifications as ordered label/value pairs: [["Body", "Aluminium"], ["Length", "140 mm"]].
    specs = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    # P23: a children's product is sold to adults only.
    is_for_children = models.BooleanField(default=False)
    # Kept by ``refresh_listing_fields`` from the SKUs, so listings need no per-product query.
    min_price = models.DecimalField(max_digits=9, decimal_places=2, null=True, editable=False)
    max_price = models.DecimalField(max_digits=9, decimal_places=2, null=True, editable=False)
    in_stock = models.BooleanField(default=False, editable=False)
    lead_sku_code = models.CharField(max_length=64, blank=True, editable=False)
    # The approved reviews' count and mean, kept by ``services.set_rating_summary`` (called by
    # the reviews app), so product and listing pages show ratings with no query per product.
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_average = models.DecimalField(
        max_digits=3, decimal_places=2, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["is_active", "category", "name"], name="product_listing_idx"),
            models.Index(fields=["is_active", "brand", "name"], name="product_brand_idx"),
            # Holds every column the listing's facet counts read from a product, so counting
            # a broad scope reads this index rather than the wide product rows.
            models.Index(
                fields=["is_active", "min_price", "brand", "product_type", "in_stock"],
                name="product_facet_idx",
            ),
            models.Index(fields=["is_featured", "is_active"], name="product_featured_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._placed_as_loaded = self._placement()
        ListingEntry.refresh_for([self.id])

    def get_absolute_url(self) -> str:
        # The page is composed at the top (storefront) of the catalogue's product and the
        # other apps' parts; the address is the product's all the same.
        return reverse("storefront:product", kwargs={"slug": self.slug})

    def _product_ids(self) -> set[int]:
        return {self.__dict__["id"]} if self.__dict__.get("id") is not None else set()

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._placed_as_loaded = instance._placement()
        return instance

    def _placement(self) -> tuple[Any, Any, Any]:
        # Read from __dict__ so a deferred field is not fetched just for this.
        return (
            self.__dict__.get("slug"),
            self.__dict__.get("category_id"),
            self.__dict__.get("brand_id"),
        )

    def _dependencies(self) -> set[str]:
        names = super()._dependencies()
        loaded = getattr(self, "_placed_as_loaded", None)
        if loaded is not None and loaded != self._placement() and None not in loaded:
            # Renamed or moved: the pages that showed it under its old slug, category or
            # brand are stale too.
            slug, category_id, brand_id = loaded
            path = Category.objects.filter(id=category_id).values_list("path", flat=True).first()
            brand = Brand.objects.filter(id=brand_id).values_list("slug", flat=True).first()
            names |= page_deps.product_dependencies(
                slug=slug, category_path=path or "", brand_slug=brand or ""
            )
        return names

    def refresh_listing_fields(self) -> None:
        """Recompute the price range, stock flag and lead SKU from the active SKUs and save."""
        skus = list(self.skus.filter(is_active=True).order_by("position", "id"))
        self.min_price = min((s.price for s in skus), default=None)
        self.max_price = max((s.price for s in skus), default=None)
        self.in_stock = any(s.available > 0 for s in skus)
        lead = next((s for s in skus if s.available > 0), skus[0] if skus else None)
        self.lead_sku_code = lead.code if lead else ""
        self.save(
            update_fields=["min_price", "max_price", "in_stock", "lead_sku_code", "updated_at"]
        )


class StockState(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    LOW = "low", "Only a few left"
    SOLD_OUT = "sold_out", "Sold out"


def stock_state_of(available: int) -> StockState:
    """What a page says of this many available units; pages show the state, never the number,
    so only a change of state makes a cached page stale."""
    if available <= 0:
        return StockState.SOLD_OUT
    if available <= LOW_STOCK_THRESHOLD:
        return StockState.LOW
    return StockState.IN_STOCK


class SKU(ChangesProductPages):
    """One buyable variant of a product: a tip size, an ink colour, a pack size..."""

    product = models.ForeignKey(Product, related_name="skus", on_delete=models.CASCADE)
    code = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", "Use capitals, digits and hyphens.")],
    )
    tip_size = models.CharField(max_length=20, blank=True, help_text='For example "0.5 mm" or "F".')
    ink_colour = models.CharField(max_length=40, blank=True)
    body_colour = models.CharField(max_length=40, blank=True)
    paper_size = models.CharField(max_length=20, blank=True, help_text='For example "A5" or "B6".')
    pack_size = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    price = models.DecimalField(
        max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # For shipping methods priced by weight bands; 0 for a light item nobody weighed yet.
    weight_grams = models.PositiveIntegerField("shipping weight (g)", default=0)
    stock = models.PositiveIntegerField(default=0, help_text="Units on hand.")
    # Units promised to orders and to checkouts on their way to the processor. Changed only by
    # the conditional updates in ``services`` (hold_stock, release_stock, consume_stock),
    # never by a save, so staff editing a SKU cannot overwrite a hold taken meanwhile.
    allocated = models.PositiveIntegerField(
        default=0, editable=False, help_text="Units held for checkouts and orders."
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    # The last time a stock change made units available where none were (``restocks``).
    restocked_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["product", "position", "id"]
        verbose_name = "SKU"
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="sku_price_positive"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="sku_pack_size_positive"),
            # Never oversold: whatever the code does, the database refuses more promises than
            # units on hand.
            models.CheckConstraint(
                condition=Q(allocated__lte=F("stock")), name="sku_allocated_within_stock"
            ),
        ]
        indexes = [
            # Covers the tip and ink facets: a product's variants are counted from the index.
            models.Index(
                fields=["product", "is_active", "tip_size", "ink_colour"], name="sku_facet_idx"
            ),
            models.Index(fields=["ink_colour"], name="sku_ink_idx"),
            models.Index(fields=["tip_size"], name="sku_tip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.product.name} {self.variant_label})".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            # A full save writes every column: leave ``allocated`` to the stock services.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "allocated"
            ]
        writes_stock = not self._state.adding and "stock" in kwargs["update_fields"]
        if writes_stock:
            # In the UPDATE that writes the stock, from the row as it is (see ``restocks``).
            when = restocks.when_restocked(new_stock=self.stock, at=timezone.now())
            self.restocked_at = when  # an expression, resolved in the UPDATE
            kwargs["update_fields"] = {*kwargs["update_fields"], "restocked_at"}
        moved_from = self._loaded_product_ids()
        try:
            super().save(*args, **kwargs)
        finally:
            if writes_stock:
                del self.restocked_at  # deferred: read back from the row if anyone asks
        ListingEntry.refresh_for(moved_from | self._product_ids())

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        product_ids = self._product_ids() | self._loaded_product_ids()
        result = super().delete(*args, **kwargs)
        ListingEntry.refresh_for(product_ids)
        return result

    def clean(self) -> None:
        super().clean()
        if self.pk is not None:
            held = SKU.objects.filter(pk=self.pk).values_list("allocated", flat=True).first()
            if held is not None and self.stock < held:
                raise ValidationError(
                    {
                        "stock": f"{held} units are allocated to orders and checkouts; "
                        f"stock cannot go below {held}."
                    }
                )

    def _product_ids(self) -> set[int]:
        product_id = self.__dict__.get("product_id")
        return {product_id} if product_id is not None else set()

    @property
    def variant_label(self) -> str:
        parts = [self.tip_size, self.ink_colour, self.body_colour, self.paper_size]
        if self.pack_size > 1:
            parts.append(f"pack of {self.pack_size}")
        return ", ".join(p for p in parts if p)

    @property
    def is_purchasable(self) -> bool:
        """Whether a customer may buy (or save) this SKU: it and its product are on sale.

        Read from the rows themselves, not the product's listing fields, which lag behind a
        bulk change. Stock is a separate question: a sold-out SKU is purchasable but not now."""
        return self.is_active and self.product.is_active

    @property
    def available(self) -> int:
        """Units a customer can still buy: on hand, less what is promised."""
        return max(self.stock - self.allocated, 0)

    @property
    def stock_state(self) -> StockState:
        return stock_state_of(self.available)


class ProductImage(ChangesProductPages):
    """A photo uploaded by staff. Products without one show artwork drawn from their SKU."""

    product = models.ForeignKey(Product, related_name="images", on_delete=models.CASCADE)
    sku = models.ForeignKey(
        SKU, null=True, blank=True, related_name="images", on_delete=models.SET_NULL
    )
    image = models.ImageField(upload_to="products/%Y/%m/")
    alt_text = models.CharField(
        max_length=200, help_text="Describe the picture for screen readers."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product", "position", "id"]

    def __str__(self) -> str:
        return self.alt_text

    def _product_ids(self) -> set[int]:
        product_id = self.__dict__.get("product_id")
        return {product_id} if product_id is not None else set()


class SearchDocument(models.Model):
    """The searchable text of one product, kept by ``catalog.search.reindex_products``.

    The full-text index over it is database-specific (an FTS5 table on SQLite, a stored
    tsvector with a GIN index on PostgreSQL) and lives in migrations, not in this model.
    """

    product = models.OneToOneField(
        Product, primary_key=True, related_name="search_document", on_delete=models.CASCADE
    )
    # Three fields so ranking can weigh a name match above a keyword or a description match.
    name = models.TextField()
    keywords = models.TextField(blank=True)
    body = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- the listings' facet table


class ListingEntry(models.Model):
    """One visible product in one listing scope (every product, its brand, its category and
    each ancestor), once as itself and once per tip size and ink colour its active SKUs have,
    with the product's columns the facet filters read.

    So a listing's facet counts are index-only GROUP BYs over one scope's rows
    (``listing_facets``), not a walk of the category tree and every SKU of the scope. Kept
    by ``refresh_for``, which every change of what it copies calls: a product's, SKU's or
    category's save (the admin, the services, the factories), the bulk listing refresh (stock
    changes, the CSV import) and the demo loader. Brands and types are copied by id, so a
    rename needs nothing here. Deleting a product deletes its rows.
    """

    scope = models.CharField(max_length=24)
    kind = models.CharField(max_length=1, choices=listing_entries.EntryKind.choices)
    value = models.CharField(max_length=40, blank=True)
    # Indexed below, first of the columns a search's facets read.
    product = models.ForeignKey(Product, related_name="+", on_delete=models.CASCADE, db_index=False)
    brand_id = models.PositiveIntegerField()
    product_type_id = models.PositiveIntegerField()
    min_price = models.DecimalField(max_digits=9, decimal_places=2)
    in_stock = models.BooleanField()

    class Meta:
        indexes = [
            # Covers every facet count: the scope's rows of one kind, in value order.
            models.Index(
                fields=[
                    "scope",
                    "kind",
                    "value",
                    "brand_id",
                    "product_type_id",
                    "min_price",
                    "in_stock",
                    "product",
                ],
                name="listingentry_count_idx",
            ),
            # Covers a search's facets, read from each matching product to its rows.
            models.Index(
                fields=[
                    "product",
                    "scope",
                    "kind",
                    "value",
                    "brand_id",
                    "product_type_id",
                    "min_price",
                    "in_stock",
                ],
                name="listingentry_product_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.kind} {self.value} #{self.product_id}"

    @staticmethod
    def _tables() -> listing_entries.Tables:
        return listing_entries.Tables(
            entry=ListingEntry._meta.db_table,
            product=Product._meta.db_table,
            category=Category._meta.db_table,
            sku=SKU._meta.db_table,
        )

    @classmethod
    def refresh_for(cls, product_ids: Iterable[int | None] | None) -> None:
        """Rewrite the rows of these products (of every product for None) from the products,
        their SKUs and the category tree: two queries per 500 products (and a lock of their
        rows on a database that has row locks)."""
        if product_ids is None:
            cls.objects.all().delete()
            with connection.cursor() as cursor:
                cursor.execute(listing_entries.insert_sql(cls._tables()), [])
            return
        ids = sorted({pk for pk in product_ids if pk is not None})
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            if connection.features.has_select_for_update and connection.in_atomic_block:
                # Two refreshes of one product wait for each other rather than both insert;
                # in id order, as every bulk update of products locks them.
                rows = Product.objects.select_for_update().filter(id__in=chunk).order_by("id")
                list(rows.values_list("id"))
            cls.objects.filter(product_id__in=chunk).delete()
            marks = ", ".join(["%s"] * len(chunk))
            with connection.cursor() as cursor:
                insert = listing_entries.insert_sql(cls._tables(), ids=f"IN ({marks})")
                cursor.execute(insert, chunk * listing_entries.ID_PARAMETER_USES)
