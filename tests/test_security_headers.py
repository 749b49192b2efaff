"""Every address of the shop answers with the security headers, and no template needs inline code.

The walk starts from the URL configuration itself: an address without parameters is fetched
as it is; one with parameters needs a sample below, so a new page cannot slip past unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import bungu
from bungu.catalog.models import SKU, Brand, Category, Product
from bungu.marketing.models import Partner
from bungu.marketing.partner_access import make_link_token
from tests.catalog.factories import CategoryFactory, ProductFactory

TEMPLATE_ROOT = Path(bungu.__file__).parent
# The admin has dozens of addresses behind one login page; the login page stands for them.
SKIPPED_NAMESPACES = {"admin"}
EXTRA_URLS = ["/admin/login/", "/no-such-page/", "/p/no-such-product/"]


@dataclass(frozen=True)
class Shop:
    category: Category
    brand: Brand
    product: Product
    sku: SKU


def _partner_link() -> str:
    partner, _ = Partner.objects.get_or_create(name="Kami Paper", defaults={"notice_version": 1})
    return make_link_token(partner, days=1)


SAMPLES: dict[str, Callable[[Shop], str]] = {
    "catalog:category": lambda shop: shop.category.get_absolute_url(),
    "catalog:brand": lambda shop: shop.brand.get_absolute_url(),
    "storefront:product": lambda shop: shop.product.get_absolute_url() + f"?sku={shop.sku.code}",
    "catalog:sku_art": lambda shop: reverse("catalog:sku_art", kwargs={"code": shop.sku.code}),
    r"^media/(?P<path>.+)$": lambda shop: "/media/products/missing.jpg",
    "privacy:version": lambda shop: reverse("privacy:version", kwargs={"version": 1}),
    # Anonymous: the redirect to sign in.
    "privacy:request_detail": lambda shop: reverse("privacy:request_detail", args=[1]),
    # P26: a forged confirmation link answers its 400 page.
    "privacy:request_confirm": lambda shop: reverse(
        "privacy:request_confirm", kwargs={"token": "not-signed"}
    ),
    # Account pages: the walk is anonymous, so each is the redirect to sign in (or a 405).
    "accounts:edit_address": lambda shop: reverse("accounts:edit_address", args=[1]),
    "accounts:delete_address": lambda shop: reverse("accounts:delete_address", args=[1]),
    "accounts:default_address": lambda shop: reverse("accounts:default_address", args=[1]),
    "accounts:end_session": lambda shop: reverse("accounts:end_session", args=[1]),
    "accounts:correct_sourced_detail": lambda shop: reverse(
        "accounts:correct_sourced_detail", args=[1]
    ),
    "accounts:remove_sourced_detail": lambda shop: reverse(
        "accounts:remove_sourced_detail", args=[1]
    ),
    "accounts:end_supervision": lambda shop: reverse("accounts:end_supervision", args=[1]),
    "accounts:join_supervised": lambda shop: reverse("accounts:join_supervised", args=["f" * 43]),
    "account_confirm_email": lambda shop: reverse("account_confirm_email", args=["forged-key"]),
    "account_reset_password_from_key": lambda shop: reverse(
        "account_reset_password_from_key", kwargs={"uidb36": "1", "key": "forged-key"}
    ),
    # A GET of a cart change answers 405; the walk checks the headers of that refusal too.
    "cart:update_line": lambda shop: reverse("cart:update_line", args=[1]),
    "cart:remove_line": lambda shop: reverse("cart:remove_line", args=[1]),
    # A link that names nobody: the refusal page must carry the headers too.
    "mail:unsubscribe": lambda shop: reverse("mail:unsubscribe", kwargs={"token": "not-signed"}),
    # P7: a forged open-confirmation image answers 404, with the headers too.
    "mail:open": lambda shop: reverse("mail:open", kwargs={"token": "0" * 64}),
    # The walk is anonymous: every owner address answers 404, a forged share link too.
    "wishlists:shared": lambda shop: reverse("wishlists:shared", args=["f" * 43]),
    "wishlists:detail": lambda shop: reverse("wishlists:detail", args=[1]),
    "wishlists:rename": lambda shop: reverse("wishlists:rename", args=[1]),
    "wishlists:delete": lambda shop: reverse("wishlists:delete", args=[1]),
    "wishlists:share": lambda shop: reverse("wishlists:share", args=[1]),
    "wishlists:unshare": lambda shop: reverse("wishlists:unshare", args=[1]),
    "wishlists:note": lambda shop: reverse("wishlists:note", args=[1, 1]),
    "wishlists:remove": lambda shop: reverse("wishlists:remove", args=[1, 1]),
    "wishlists:move": lambda shop: reverse("wishlists:move", args=[1, 1]),
    "reviews:write": lambda shop: reverse("reviews:write", args=[shop.product.slug]),
    "reviews:delete": lambda shop: reverse("reviews:delete", args=[1]),
    "reviews:report": lambda shop: reverse("reviews:report", args=[1]),
    # Checkout and orders: the walk is anonymous, so an unknown attempt or order is a 404,
    # an account page the redirect to sign in, a forged guest link a 404.
    "checkout:return": lambda shop: reverse("checkout:return", args=["0" * 32]),
    "checkout:done": lambda shop: reverse("checkout:done", args=["0" * 32]),
    "checkout:requested": lambda shop: reverse("checkout:requested", args=["0" * 32]),
    "checkout:approve": lambda shop: reverse("checkout:approve", args=["0" * 32]),
    "checkout:decline": lambda shop: reverse("checkout:decline", args=["0" * 32]),
    "checkout:approval_done": lambda shop: reverse("checkout:approval_done", args=["0" * 32]),
    "orders:detail": lambda shop: reverse("orders:detail", args=["BNOSUCH"]),
    "orders:cancel": lambda shop: reverse("orders:cancel", args=["BNOSUCH"]),
    "orders:request_return": lambda shop: reverse("orders:request_return", args=["BNOSUCH"]),
    "orders:guest": lambda shop: reverse("orders:guest", args=["not-signed"]),
    "orders:guest_cancel": lambda shop: reverse("orders:guest_cancel", args=["not-signed"]),
    "orders:guest_return": lambda shop: reverse("orders:guest_return", args=["not-signed"]),
    # Staff only: the anonymous walk gets the redirect to the staff sign-in page.
    "backoffice:customer": lambda shop: reverse("backoffice:customer", args=[1]),
    # Staff's order pages and forms (anonymous: the redirect to sign in, or a 405 to a GET).
    "backoffice:order": lambda shop: reverse("backoffice:order", args=["BNOSUCH"]),
    "backoffice:order_refund": lambda shop: reverse("backoffice:order_refund", args=["BNOSUCH"]),
    "backoffice:order_cancel": lambda shop: reverse("backoffice:order_cancel", args=["BNOSUCH"]),
    "backoffice:order_delivered": lambda shop: reverse(
        "backoffice:order_delivered", args=["BNOSUCH"]
    ),
    "backoffice:packing_slip": lambda shop: reverse("backoffice:packing_slip", args=["BNOSUCH"]),
    "backoffice:ship": lambda shop: reverse("backoffice:ship", args=["BNOSUCH"]),
    "backoffice:order_return": lambda shop: reverse("backoffice:order_return", args=["BNOSUCH", 1]),
    "marketing:campaign": lambda shop: reverse("marketing:campaign", args=[1]),
    "marketing:campaign_edit": lambda shop: reverse("marketing:campaign_edit", args=[1]),
    "marketing:campaign_send": lambda shop: reverse("marketing:campaign_send", args=[1]),
    "marketing:campaign_schedule": lambda shop: reverse("marketing:campaign_schedule", args=[1]),
    "marketing:campaign_pause": lambda shop: reverse("marketing:campaign_pause", args=[1]),
    "marketing:campaign_resume": lambda shop: reverse("marketing:campaign_resume", args=[1]),
    "marketing:campaign_cancel": lambda shop: reverse("marketing:campaign_cancel", args=[1]),
    "marketing:partner": lambda shop: reverse("marketing:partner", args=[1]),
    "marketing:offer_new": lambda shop: reverse("marketing:offer_new", args=[1]),
    "marketing:partner_link": lambda shop: reverse("marketing:partner_link", args=[1]),
    "marketing:partner_revoke": lambda shop: reverse("marketing:partner_revoke", args=[1]),
    "marketing:partner_active": lambda shop: reverse("marketing:partner_active", args=[1]),
    # P8: list comparison by private set intersection.
    "marketing:psi_request": lambda shop: reverse("marketing:psi_request", args=[1]),
    "marketing:psi_finish": lambda shop: reverse("marketing:psi_finish", args=[1]),
    # P14: the partner's report as the partner sees it, and a refused link.
    "partners:report": lambda shop: reverse("partners:report", kwargs={"token": _partner_link()}),
    "partners:report_csv": lambda shop: reverse(
        "partners:report_csv", kwargs={"token": "not-signed"}
    ),
    "partners:redemptions": lambda shop: reverse(
        "partners:redemptions", kwargs={"token": "not-signed"}
    ),
    # P13: the agents' API without a token answers 401 (405 to a GET of a POST endpoint).
    "api-v1:post_tracking_event": lambda shop: reverse("api-v1:post_tracking_event", args=[1]),
}


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern itself when it has no name
    # Unnamed patterns cannot be reversed, and parameters need real values.
    needs_sample: bool


def _routes(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from _routes(entry.url_patterns, inner)
        else:
            key = f"{namespace}{entry.name}" if entry.name else str(entry.pattern)
            needs_sample = not entry.name or bool(entry.pattern.regex.groups)
            yield Route(key=key, needs_sample=needs_sample)


def shop_urls(shop: Shop) -> list[str]:
    """One concrete address per route of the URL configuration, plus the extras."""
    urls = []
    for route in _routes(get_resolver().url_patterns):
        if route.key in SAMPLES:
            urls.append(SAMPLES[route.key](shop))
        elif route.needs_sample:
            raise AssertionError(f"add a sample address for {route.key!r} to SAMPLES")
        else:
            urls.append(reverse(route.key))
    return urls + EXTRA_URLS


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def header_problems(response: HttpResponse) -> list[str]:
    """What is missing or weak in one response's security headers."""
    problems = []
    policy = _directives(response.get("Content-Security-Policy", ""))
    script_src = policy.get("script-src", policy.get("default-src"))
    if script_src is None:
        problems.append("no script-src")
    elif "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"unsafe script-src {' '.join(script_src)}")
    if "'unsafe-inline'" in policy.get("style-src", []):
        problems.append("unsafe style-src")
    if policy.get("frame-ancestors") != ["'none'"]:
        problems.append("frame-ancestors is not 'none'")
    if response.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options is not DENY")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if response.get("Referrer-Policy") != "strict-origin-when-cross-origin":
        problems.append("Referrer-Policy is not strict-origin-when-cross-origin")
    return problems


@pytest.fixture
def shop(db) -> Shop:
    category = CategoryFactory(slug="pens")
    product = ProductFactory(slug="kakuno", category=category)
    return Shop(category=category, brand=product.brand, product=product, sku=product.skus.get())


def test_every_address_of_the_shop_sends_the_security_headers(client, shop):
    found = {}
    for url in shop_urls(shop):
        for attempt in ("first", "second"):  # the second one may come from the page cache
            response = client.get(url)
            problems = header_problems(response)
            if response.status_code >= 500:
                problems.append(f"status {response.status_code}")
            if problems:
                found[f"{url} ({attempt})"] = problems
    assert found == {}


def test_the_walk_covers_the_pages_named_in_the_brief(shop):
    urls = set(shop_urls(shop))

    assert {
        "/",
        "/search/",
        "/brands/",
        "/c/pens/",
        f"/brands/{shop.brand.slug}/",
        f"/p/kakuno/?sku={shop.sku.code}",
        f"/art/{shop.sku.code}.svg",
        "/sitemap.xml",
        "/robots.txt",
        "/admin/login/",
        "/no-such-page/",
    } <= urls


def test_header_check_catches_weak_headers():
    response = HttpResponse()
    response["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"

    assert header_problems(response) == [
        "unsafe script-src 'self' 'unsafe-inline'",
        "unsafe style-src",
        "frame-ancestors is not 'none'",
        "X-Frame-Options is not DENY",
        "X-Content-Type-Options is not nosniff",
        "Referrer-Policy is not strict-origin-when-cross-origin",
    ]


# ---------------------------------------------------------------- templates

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def inline_code_problems(source: str) -> list[str]:
    """Inline code the shop's CSP would block, found in one template's source."""
    checks = [
        (INLINE_SCRIPT, "inline <script>"),
        (STYLE_ATTRIBUTE, "style attribute"),
        (STYLE_ELEMENT, "<style> element"),
        (EVENT_HANDLER, "inline event handler"),
    ]
    return [label for pattern, label in checks if pattern.search(source)]


def _templates() -> list[Path]:
    return sorted(TEMPLATE_ROOT.glob("*/templates/**/*.html"))


def test_our_templates_need_no_inline_code():
    templates = _templates()
    assert len(templates) >= 5  # base, home, 404, 500, product at least

    found = {
        str(path.relative_to(TEMPLATE_ROOT)): problems
        for path in templates
        if (problems := inline_code_problems(path.read_text()))
    }
    assert found == {}


def test_inline_code_check_catches_planted_violations():
    assert inline_code_problems('<script type="application/ld+json">{}</script>') == []
    assert inline_code_problems('<script src="{% static "a.js" %}"></script>') == []
    assert inline_code_problems("<script>alert(1)</script>") == ["inline <script>"]
    assert inline_code_problems('<script type="module">x()</script>') == ["inline <script>"]
    assert inline_code_problems('<p style="color: red">') == ["style attribute"]
    assert inline_code_problems("<style>p {}</style>") == ["<style> element"]
    assert inline_code_problems('<button onclick="go()">') == ["inline event handler"]


def test_the_walk_refuses_a_route_without_a_sample(shop, monkeypatch):
    monkeypatch.delitem(SAMPLES, "storefront:product")

    with pytest.raises(AssertionError, match="add a sample address for 'storefront:product'"):
        shop_urls(shop)
