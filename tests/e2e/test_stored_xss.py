"""Stored XSS: a corpus of classic payloads in every text a customer stores that the shop
shows to others or to staff, then every page of the URL walk rendered in Chromium, as the
customer and as staff: 0 payloads run, and none became markup.

Each payload calls ``window.__xss(n)``, exposed to the page by Playwright, so a payload that
runs is recorded; the shop's CSP would also block an inline one, so each page's DOM is read
too, and a payload that became an element, an event handler or a javascript: address is a
finding even when the browser refused to run it. The planted ``|safe`` template
(tests/hostile/planted.py) is the positive control.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bungu.accounts.models import Profile
from bungu.privacy.models.requests import PrivacyRequest
from bungu.wishlists import services as wishlist_services
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.catalog.factories import ProductFactory
from tests.e2e.signing_in import sign_in
from tests.e2e.timeouts import BROWSER_TIMEOUT_MS
from tests.hostile import planted
from tests.hostile.walk import addresses
from tests.orders.factories import ADDRESS, place_test_order
from tests.reviews.factories import approved_review
from tests.wishlists.factories import WishListFactory, WishListItemFactory

PAYLOADS = [
    "<script>__xss(1)</script>",
    "<img src=x onerror=__xss(2)>",
    "<svg onload=__xss(3)>",
    '"><img src=x onerror=__xss(4)>',
    "'><svg/onload=__xss(5)>",
    "javascript:__xss(6)",
    '<a href="javascript:__xss(7)">x</a>',
    "<details open ontoggle=__xss(8)>",
    "</textarea><script>__xss(9)</script>",
    '<iframe srcdoc="<script>__xss(10)</script>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss(11)>",
    "{{ 7|add:7 }}{% csrf_token %}<x onclick=__xss(12)>",
    '" autofocus onfocus=__xss(13) x="',
    "<body onload=__xss(14)>",
]
ALL = " ".join(PAYLOADS)

# Markup a payload became: run in each page after it loads.
FIND_INJECTED = """() => {
  const found = [];
  const urlAttributes = ['href', 'src', 'action', 'formaction', 'srcdoc', 'data', 'xlink:href'];
  for (const el of document.querySelectorAll('*')) {
    if (el.tagName === 'SCRIPT' && el.textContent.includes('__xss')) found.push('<script>');
    for (const attribute of el.attributes) {
      const handler = attribute.name.startsWith('on');
      const url = urlAttributes.includes(attribute.name);
      if ((handler || url) && attribute.value.includes('__xss')) {
        found.push(`<${el.tagName.toLowerCase()} ${attribute.name}>`);
      }
    }
  }
  return found;
}"""


SAME_PAGE_CHOICES = """() => [...document.querySelectorAll('a[href]')]
  .map(a => new URL(a.href))
  .filter(u => u.origin === location.origin && u.pathname === location.pathname && u.search)
  .map(u => u.pathname + u.search)"""


def payload(n: int) -> str:
    return PAYLOADS[n % len(PAYLOADS)]


def plant(customer: Any) -> dict[str, str]:
    """Every shown text of ``customer`` set to payloads; the ids the walk fills in."""
    customer.name = payload(0)
    customer.save(update_fields=["name"])
    Profile.objects.create(user=customer, ink_colours=payload(1))
    address = AddressFactory(
        customer=customer, label=payload(2), recipient=payload(3), line1=payload(4),
        line2=payload(5), city=payload(6), region=payload(7), postal_code="94105",
    )  # fmt: skip
    product = ProductFactory(slug="sample")
    review = approved_review(author=customer, product=product, body=ALL)
    wish_list = WishListFactory(owner=customer, name=payload(8))
    item = WishListItemFactory(wish_list=wish_list, sku=product.skus.get(), note=ALL)
    wish_list = wishlist_services.share_wish_list(owner_id=customer.id, wish_list_id=wish_list.id)
    request = PrivacyRequest.objects.create(customer=customer, kind="access", description=ALL)
    order = place_test_order(
        customer=customer,
        email=customer.email,
        address=replace(
            ADDRESS, recipient=payload(9), line1=payload(10), line2=payload(11),
            city=payload(12), region=payload(13),
        ),
    )  # fmt: skip
    return {
        "address_id": str(address.id), "wish_list_id": str(wish_list.id),
        "item_id": str(item.id), "review_id": str(review.id), "request_id": str(request.id),
        "customer_id": str(customer.id), "number": order.number,
        "token": str(wish_list.share_token),
    }  # fmt: skip


def visit(
    page: Any,
    paths: list[str],
    ran: list[int],
    shown: set[str] | None = None,
    *,
    follow: bool = False,
) -> dict[str, list[str]]:
    """Open each page; what ran or became markup on it. Adds to ``shown`` the pages that
    show a payload as text (so the walk is known to reach the stored texts)."""
    found: dict[str, list[str]] = {}
    for path in paths:
        before = len(ran)
        # Only pages: not a download, nor a refusal without a body (a 405), which Chromium
        # shows as its own error page.
        probe = page.request.get(path)
        headers = probe.headers
        if (
            not probe.ok
            or "html" not in headers.get("content-type", "")
            or "attachment" in headers.get("content-disposition", "")
        ):
            continue
        page.goto(path)
        page.wait_for_load_state("load")
        problems = page.evaluate(FIND_INJECTED)
        if shown is not None and "__xss(" in page.inner_text("body"):
            shown.add(path)
        if follow and "?" not in path and path.startswith("/backoffice/"):
            # The same page with a choice made: the back office shows data for a purpose.
            choices = page.evaluate(SAME_PAGE_CHOICES)
            found.update(visit(page, sorted(set(choices))[:12], ran, shown, follow=False))
        problems += [f"__xss({n}) ran" for n in ran[before:]]
        if problems:
            found[path] = sorted(set(problems))
    return found


def _watched_page(browser: Any, live_server: Any, ran: list[int]) -> tuple[Any, Any]:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)

    def record(n: int) -> None:  # Playwright needs a Python function, not a bound builtin
        ran.append(n)

    context.expose_function("__xss", record)
    return context, context.new_page()


@pytest.mark.django_db(transaction=True)
def test_no_stored_payload_runs_on_any_page(browser, live_server):
    customer = CustomerFactory()
    ids = plant(customer)
    staff = CustomerFactory(is_staff=True, is_superuser=True)
    walked = addresses(ids)
    shop_pages = [a.path for a in walked if not a.key.startswith("admin:")]
    # Staff see customers' texts in the back office and in the admin's lists.
    staff_pages = [a.path for a in walked if a.key.startswith(("backoffice:", "privacy:staff"))]
    staff_pages += [a.path for a in walked if a.key.endswith("_changelist")]
    ran: list[int] = []
    found = {}
    shown: set[str] = set()
    for who, paths in [(customer, shop_pages), (staff, staff_pages)]:
        context, page = _watched_page(browser, live_server, ran)
        sign_in(context, who, live_server.url)
        found.update(visit(page, paths, ran, shown, follow=who is staff))
        context.close()

    assert found == {}
    assert ran == []
    assert {
        "/p/sample/",  # the review, to every visitor
        f"/wishlists/shared/{ids['token']}/",  # the shared wish list, to anyone with the link
        f"/wishlists/{ids['wish_list_id']}/",
        "/account/addresses/",
        f"/orders/{ids['number']}/",
        f"/privacy/requests/{ids['request_id']}/",
        f"/backoffice/customers/{ids['customer_id']}/?purpose=customer_service",  # staff
        "/admin/reviews/review/",
    } <= shown
    assert len(shop_pages) > 80
    assert len(staff_pages) > 20


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.hostile.planted")
def test_the_walk_catches_a_planted_unsafe_template(browser, live_server, monkeypatch):
    monkeypatch.setitem(planted.STORED, "text", ALL)
    ran: list[int] = []
    context, page = _watched_page(browser, live_server, ran)

    found = visit(page, ["/planted/unsafe/"], ran)
    context.close()

    # What the parser makes of each payload varies (a second <body> only lends its
    # attributes); these five are unambiguous.
    assert {
        "<script>", "<img onerror>", "<svg onload>", "<a href>", "<details ontoggle>",
    } <= set(found["/planted/unsafe/"])  # fmt: skip
