"""The shop's own error pages."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests.storefront.html_checks import page_problems


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/p/no-such-pen/", "/no/such/page/", "/art/NOPE.svg"])
def test_unknown_addresses_get_the_shops_404(client, url):
    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found · Bungu</title>" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'rel="canonical"' not in html
    assert page_problems(html) == []


def test_500_page_renders_without_touching_the_database():
    # No django_db mark: any query here would fail the test.
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "<title>Something went wrong</title>" in html
    assert '<h1 id="error-title">Something went wrong on our side</h1>' in html
    assert '<link rel="stylesheet" href="/static/storefront/shop.css">' in html
    assert page_problems(html) == []


@pytest.mark.django_db
def test_a_crashing_view_gets_the_500_page(client, monkeypatch):
    def explode(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("bungu.catalog.services.list_featured_products", explode)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    assert '<h1 id="error-title">Something went wrong on our side</h1>' in response.content.decode()


@pytest.mark.django_db
def test_p11_a_form_sent_without_the_csrf_cookie_gets_the_shops_page():
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/privacy/requests/by-email/", {"email": "a@example.com"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>This needs cookies</h1>" in html
    assert "If cookies are allowed" not in html  # no cookie came at all
    assert page_problems(html) == []
