"""Run under the shop's settings by ``run.py``: choose the URLs each scenario drives, then
load each chosen page once on the uncached path and count its SQL queries.

It reads the catalogue the benchmark just generated, so the URLs are real ones, and writes
one JSON document to the file named by ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

import django

# The catalogue's models can be imported only once Django is set up.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bungu.cart.models import Cart, CartLine  # noqa: E402
from bungu.catalog.models import SKU, Brand, Category, Product, ProductType  # noqa: E402
from bungu.wishlists.models import WishList  # noqa: E402

# How many different URLs of each kind the load generator rotates through.
TOP_CATEGORIES = 3
LEAF_CATEGORIES = 4
BRANDS = 8
# The query count is measured on at most this many of a scenario's pages.
COUNTED_PER_SCENARIO = 25
# The signed-in scenario's product pages (beside every listing, search and the home page).
SIGNED_IN_PRODUCTS = 200
BENCH_CUSTOMER = "bench-customer@bungu.test"


@dataclass(frozen=True)
class PageCount:
    path: str
    status: int
    queries: int
    bytes: int
    # Wall time of the uncached request inside this process: the page's own cost, unqueued.
    milliseconds: float


def _category_paths() -> list[str]:
    visible = Product.objects.visible()
    chosen: list[Category] = []
    for top in Category.objects.filter(parent=None).order_by("position", "path"):
        if visible.in_category(top).exists():
            chosen.append(top)
        if len(chosen) == TOP_CATEGORIES:
            break
    busiest = (
        visible.values("category")
        .annotate(products=Count("id"))
        .order_by("-products", "category")[: LEAF_CATEGORIES * 2]
    )
    for row in busiest:
        category = Category.objects.get(pk=row["category"])
        if category not in chosen and len(chosen) < TOP_CATEGORIES + LEAF_CATEGORIES:
            chosen.append(category)
    paths = [category.get_absolute_url() for category in chosen]
    if not chosen:
        return paths
    # Shoppers also sort, page and filter a listing, as its links do.
    first = chosen[0]
    in_first = visible.in_category(first)
    paths.append(f"{first.get_absolute_url()}?sort=price-asc")
    if in_first.count() > settings.BUNGU_PAGE_SIZE:
        paths.append(f"{first.get_absolute_url()}?page=2")
    brand = in_first.values_list("brand__slug", flat=True).order_by("brand__slug").first()
    if brand:
        paths.append(f"{first.get_absolute_url()}?{urlencode({'brand': brand, 'in_stock': '1'})}")
    return paths


def _brand_paths() -> list[str]:
    brands = (
        Brand.objects.annotate(
            visible=Count(
                "products",
                filter=Q(products__is_active=True, products__min_price__isnull=False),
            )
        )
        .filter(visible__gt=0)
        .order_by("-visible", "slug")[:BRANDS]
    )
    return [brand.get_absolute_url() for brand in brands]


def _product_paths(*, limit: int, seed: int) -> list[str]:
    rows = list(Product.objects.visible().order_by("id").values_list("slug", "lead_sku_code"))
    # A fixed seed picks the same pages every run, so runs compare like with like.
    picked = random.Random(seed).sample(rows, min(limit, len(rows)))  # noqa: S311
    paths = []
    for index, (slug, lead_code) in enumerate(picked):
        path = f"/p/{slug}/"
        # Every fourth visit names a variant, as links from listings and search results do.
        if index % 4 == 3 and lead_code:
            path += "?" + urlencode({"sku": lead_code})
        paths.append(path)
    return paths


def _search_paths() -> list[str]:
    search = reverse("catalog:search")
    types = list(ProductType.objects.filter(products__is_active=True).distinct()[:3])
    brands = list(Brand.objects.filter(products__is_active=True).distinct()[:2])
    active = SKU.objects.filter(is_active=True)
    colour = active.exclude(ink_colour="").values_list("ink_colour", flat=True).first()
    tip = active.exclude(tip_size="").values_list("tip_size", flat=True).first()

    queries: list[dict[str, str]] = [{"q": t.name.lower()} for t in types]
    queries += [{"q": b.name} for b in brands]
    if colour:
        queries.append({"q": colour.lower()})
    if types and tip:
        queries.append({"q": f"{types[0].name.lower()} {tip}"})
    # Facets narrow a query the way the search page's filter links do.
    if types and brands:
        queries.append({"q": types[0].name.lower(), "brand": brands[0].slug})
        queries.append({"q": brands[0].name, "type": types[0].slug, "in_stock": "1"})
    if types and tip:
        queries.append({"q": types[0].name.lower(), "tip": tip, "price": "5-10"})
    if len(types) > 1:
        queries.append({"q": types[1].name.lower(), "sort": "price-asc"})
    # Shoppers also misspell and look for things the shop does not sell.
    queries.append({"q": "xylograph"})
    return [f"{search}?{urlencode(q)}" for q in queries]


def _signed_in_customer(front: dict[str, str]) -> Client:
    """A customer of the benchmark's own, signed in, with a wish list and an item in the
    cart, as the shop's best customers have; the client holds the session cookie."""
    user_model = get_user_model()
    customer, _ = user_model.objects.get_or_create(
        email=BENCH_CUSTOMER, defaults={"name": "Bench Customer"}
    )
    if not WishList.objects.filter(owner=customer).exists():
        WishList.objects.create(owner=customer, name="Pens to try")
    sku = SKU.objects.filter(is_active=True, product__is_active=True).order_by("id").first()
    cart, _ = Cart.objects.get_or_create(user=customer)
    if sku is not None and not cart.lines.exists():
        CartLine.objects.create(cart=cart, sku=sku, quantity=1)
    client = Client(raise_request_exception=False, **front)
    client.force_login(customer)
    return client


def _signed_in_paths(urls: dict[str, list[str]]) -> list[str]:
    # Each kind of catalogue page, as a customer browses: a few products per listing.
    return [
        *urls["home"],
        *urls["category"],
        *urls["brand"],
        *urls["search"],
        *urls["product"][:SIGNED_IN_PRODUCTS],
    ]


def _churn_skus(product_paths: list[str]) -> list[int]:
    """The lead SKUs of the products the churn scenario rotates through."""
    slugs = [path.split("/")[2] for path in product_paths]
    rows = Product.objects.filter(slug__in=slugs).values_list("id", "lead_sku_code")
    codes = [code for _id, code in rows if code]
    return list(SKU.objects.filter(code__in=codes).order_by("id").values_list("id", flat=True))


def _count_queries(
    paths: list[str], client: Client | None = None, *, front: dict[str, str]
) -> list[PageCount]:
    client = client or Client(raise_request_exception=False, **front)
    counts = []
    for path in paths:
        # A first request pays for compiling templates and loading lazy modules, which a
        # running server pays once; it is not the page's cost.
        client.get(path)
        # An empty cache is the uncached path: the page, the navigation, the generation.
        cache.clear()
        started = time.perf_counter()
        # Every database the page may read: with a standby, the catalogue comes from it.
        with ExitStack() as capturing:
            captured = [
                capturing.enter_context(CaptureQueriesContext(connection))
                for connection in connections.all()
            ]
            response = client.get(path)
        elapsed = time.perf_counter() - started
        counts.append(
            PageCount(
                path=path,
                status=response.status_code,
                queries=sum(len(each.captured_queries) for each in captured),
                bytes=len(response.content),
                milliseconds=round(elapsed * 1000, 2),
            )
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--front-host",
        help="the cluster's public host:port: pages are asked for as nginx passes them on"
        " (that Host, X-Forwarded-Proto https); the bare page is not the shop's, not counted",
    )
    args = parser.parse_args()
    front = (
        {"HTTP_HOST": args.front_host, "HTTP_X_FORWARDED_PROTO": "https"} if args.front_host else {}
    )
    bare = {"baseline", "bare-signed-in"} if args.front_host else set()

    urls = {
        "baseline": ["/__bench__/bare/"],
        "home": ["/"],
        "category": _category_paths(),
        "brand": _brand_paths(),
        "product": _product_paths(limit=args.products, seed=args.seed),
        "search": _search_paths(),
    }
    urls["churn"] = [*urls["category"], *urls["product"]]
    customer = _signed_in_customer(front)
    urls["signed-in"] = _signed_in_paths(urls)
    urls["bare-signed-in"] = urls["baseline"]
    counted = {
        name: [
            asdict(c)
            for c in _count_queries(
                [] if name in bare else paths[:COUNTED_PER_SCENARIO],
                customer if name in {"signed-in", "bare-signed-in"} else None,
                front=front,
            )
        ]
        for name, paths in urls.items()
    }
    catalogue = {
        "products": Product.objects.count(),
        "visible_products": Product.objects.visible().count(),
        "skus": SKU.objects.count(),
        "categories": Category.objects.count(),
        "brands": Brand.objects.count(),
    }
    args.out.write_text(
        json.dumps(
            {
                "catalogue": catalogue,
                "urls": urls,
                "counted": counted,
                "session_cookie": f"{settings.SESSION_COOKIE_NAME}="
                f"{customer.cookies[settings.SESSION_COOKIE_NAME].value}",
                "churn_skus": _churn_skus(urls["product"]),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
