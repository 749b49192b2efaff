"""Per-visitor holes in cached pages: a cached form still carries the visitor's CSRF token."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import path
from django.views.decorators.http import require_POST

import bungu
from bungu.catalog.caching import CACHE_HEADER, cache_catalog_page, hole_marker
from bungu.storefront.holes import FILLERS

pytestmark = pytest.mark.django_db

FORM = Template(
    '{% load page_holes %}<form method="post" action="/post/">{% page_hole "csrf" %}</form>'
    '{% page_hole "no-such-hole" %}'
)


@cache_catalog_page
def cached_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FORM.render(Context({})))


@require_POST
def accept(request: HttpRequest) -> HttpResponse:
    return HttpResponse("accepted")


urlpatterns = [path("form/", cached_form), path("post/", accept)]


def _token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


@override_settings(ROOT_URLCONF=__name__)
def test_each_visitor_gets_a_working_token_from_the_same_cached_page() -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    page_one = first.get("/form/")
    page_two = second.get("/form/")

    assert (page_one[CACHE_HEADER], page_two[CACHE_HEADER]) == ("miss", "hit")
    assert hole_marker("csrf") not in page_two.content.decode()
    for client, page in [(first, page_one), (second, page_two)]:
        token = _token(page.content.decode())
        assert client.post("/post/", {"csrfmiddlewaretoken": token}).status_code == 200
    # A token from another visitor's copy of the page is refused.
    assert first.post("/post/", {"csrfmiddlewaretoken": "x" * 64}).status_code == 403


@override_settings(ROOT_URLCONF=__name__)
def test_a_filled_page_is_private_and_unknown_holes_vanish() -> None:
    response = Client().get("/form/")

    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "bungu-hole" not in response.content.decode()


def test_every_hole_used_in_a_template_has_a_filler() -> None:
    used: set[str] = set()
    for template in Path(bungu.__file__).parent.rglob("templates/**/*.html"):
        text = template.read_text()
        for chunk in text.split('{% page_hole "')[1:]:
            used.add(chunk.split('"', 1)[0])
    assert used <= set(FILLERS)
