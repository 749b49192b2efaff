"""Per-visitor holes in cached pages: a cached form still carries the visitor's CSRF token.

Each check has a positive control: a page that bakes one visitor's token into the cached copy
(a leak), a hole whose filler is missing, a marker that reaches the browser unfilled, and a
template using a hole no filler knows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import Context, RequestContext, Template
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


# Planted: the token is rendered into the page itself, so the cached copy carries the first
# visitor's token to everyone after them.
LEAKY_FORM = Template('<form method="post" action="/post/">{% csrf_token %}</form>')


@cache_catalog_page
def cached_leaky_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(LEAKY_FORM.render(RequestContext(request, {})))


@require_POST
def accept(request: HttpRequest) -> HttpResponse:
    return HttpResponse("accepted")


urlpatterns = [
    path("form/", cached_form),
    path("leaky-form/", cached_leaky_form),
    path("post/", accept),
]

_HOLE_IN_TEMPLATE = re.compile(r"""\{%\s*page_hole\s+["']([^"']+)["']""")


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


def _two_visitors_post_the_form(url: str) -> list[tuple[str, int]]:
    """Two visitors load the same page (the second from the cache) and send its form with
    the token it carried: (cache, status) per visitor."""
    outcome = []
    for visitor in (Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)):
        page = visitor.get(url)
        sent = visitor.post("/post/", {"csrfmiddlewaretoken": _token(page.content.decode())})
        outcome.append((page[CACHE_HEADER], sent.status_code))
    return outcome


def holes_used(root: Path) -> set[str]:
    """The holes that the templates under ``root`` leave."""
    used: set[str] = set()
    for template in root.rglob("templates/**/*.html"):
        used.update(_HOLE_IN_TEMPLATE.findall(template.read_text(encoding="utf-8")))
    return used


def holes_without_filler(root: Path) -> set[str]:
    return holes_used(root) - set(FILLERS)


@override_settings(ROOT_URLCONF=__name__)
def test_each_visitor_gets_a_working_token_from_the_same_cached_page() -> None:
    assert _two_visitors_post_the_form("/form/") == [("miss", 200), ("hit", 200)]

    # A token from another visitor's copy of the page is refused.
    first = Client(enforce_csrf_checks=True)
    first.get("/form/")
    assert first.post("/post/", {"csrfmiddlewaretoken": "x" * 64}).status_code == 403


@override_settings(ROOT_URLCONF=__name__)
def test_positive_control_a_token_baked_into_the_cached_page_fails_the_second_visitor() -> None:
    assert _two_visitors_post_the_form("/leaky-form/") == [("miss", 200), ("hit", 403)]


@override_settings(ROOT_URLCONF=__name__)
def test_positive_control_a_hole_without_its_filler_fails_every_visitor(monkeypatch) -> None:
    monkeypatch.delitem(FILLERS, "csrf")

    assert _two_visitors_post_the_form("/form/") == [("miss", 403), ("hit", 403)]


@override_settings(ROOT_URLCONF=__name__)
def test_no_hole_marker_reaches_the_visitor() -> None:
    Client().get("/form/")
    cached = Client().get("/form/")

    assert cached[CACHE_HEADER] == "hit"
    assert "bungu-hole" not in cached.content.decode()


def test_positive_control_without_the_filling_middleware_the_markers_reach_the_visitor() -> None:
    unfilled = [m for m in settings.MIDDLEWARE if not m.endswith("FillPageHolesMiddleware")]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=unfilled):
        html = Client().get("/form/").content.decode()

    assert hole_marker("csrf") in html


@override_settings(ROOT_URLCONF=__name__)
def test_a_filled_page_is_private_and_unknown_holes_vanish() -> None:
    response = Client().get("/form/")

    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "bungu-hole" not in response.content.decode()


def test_every_hole_used_in_a_template_has_a_filler() -> None:
    shop = Path(bungu.__file__).parent

    assert holes_without_filler(shop) == set()
    # The walk does read the shop's templates: forms and the cart badge leave holes.
    assert {"csrf", "cart-count"} <= holes_used(shop)


def test_positive_control_a_template_with_an_unknown_hole_is_caught(tmp_path: Path) -> None:
    planted = tmp_path / "shop" / "templates" / "shop" / "page.html"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        "{% load page_holes %}{% page_hole 'csrf' %}{%page_hole \"planted-badge\" %}",
        encoding="utf-8",
    )

    assert holes_without_filler(tmp_path) == {"planted-badge"}
