"""Accessibility basics on every HTML page of the shop (the admin keeps Django's own markup)."""

from __future__ import annotations

import pytest

from tests.storefront.html_checks import page_problems
from tests.test_security_headers import Shop, shop, shop_urls

__all__ = ["shop"]  # the fixture, shared with the security header walk


@pytest.mark.django_db
def test_every_html_page_passes_the_basic_checks(client, shop: Shop):
    found = {}
    checked = []
    for url in shop_urls(shop):
        if url.startswith("/admin/"):
            continue
        response = client.get(url)
        # Redirects (to sign in) and 405s for a GET of a form's target have no page to check.
        if not response["Content-Type"].startswith("text/html") or not response.content:
            continue
        checked.append(url)
        if problems := page_problems(response.content.decode()):
            found[url] = problems

    assert found == {}
    assert {"/", f"/p/{shop.product.slug}/?sku={shop.sku.code}", "/no-such-page/"} <= set(checked)


@pytest.mark.django_db
def test_focus_and_skip_link_are_in_the_layout(client):
    html = client.get("/").content.decode()

    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main" class="wrap" tabindex="-1">' in html
    assert '<label for="site-search-q" class="visually-hidden">Search the shop</label>' in html
