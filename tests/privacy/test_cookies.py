"""The cookie registry (P5, P10, P11): every cookie the shop sets is declared, and the cookie
page is made from the declarations."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from bungu.privacy import Cookie, CookieRegistry, Purpose, UndeclaredCookie, cookie_registry
from bungu.privacy.models import Notice
from tests.accounts.factories import PASSWORD, CustomerFactory
from tests.catalog.factories import ProductFactory
from tests.storefront.html_checks import page_problems

from .factories import NOTICES, V1_PRACTICES

pytestmark = pytest.mark.django_db


class RecordingClient(Client):
    """A test client that keeps every cookie any response set (name, Max-Age)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.set_cookies: list[tuple[str, str, str]] = []

    def request(self, **request: object) -> HttpResponse:
        response = super().request(**request)
        for name, morsel in response.cookies.items():
            self.set_cookies.append((str(request.get("PATH_INFO")), name, morsel["max-age"]))
        return response

    def names(self) -> set[str]:
        return {name for _, name, _ in self.set_cookies}


@pytest.fixture
def notice_v1() -> None:
    """A transactional test starts from empty tables: v1 is published again, as the
    migration does it (the privacy pages need a notice in force)."""
    if not Notice.objects.filter(version=1).exists():
        # bulk_create, as the migration's historical model does: save() refuses a past date.
        Notice.objects.bulk_create(
            [
                Notice(
                    version=1,
                    effective=datetime.date(2026, 11, 1),
                    text=(NOTICES / "v1.md").read_text(encoding="utf-8"),
                    practices=V1_PRACTICES,
                )
            ]
        )


def undeclared(client: RecordingClient) -> list[str]:
    return [
        f"{name} (set by {page})"
        for page, name, _ in client.set_cookies
        if cookie_registry.find(name) is None
    ]


def longer_than_declared(client: RecordingClient) -> list[str]:
    """P5: never kept longer than declared."""
    found = []
    for page, name, max_age in client.set_cookies:
        cookie = cookie_registry.find(name)
        if cookie is None or not max_age:
            continue
        limit = None if cookie.max_age is None else cookie.max_age.total_seconds()
        # A deletion (Max-Age=0) is always within the declaration.
        if int(max_age) > 0 and (limit is None or int(max_age) > limit):
            found.append(f"{name} (Max-Age {max_age} set by {page})")
    return found


def drive_the_shop(client: RecordingClient) -> Iterator[str]:
    """The main flows of the shop, as a visitor and then as a customer; yields each step."""
    product = ProductFactory()
    sku = product.skus.get()
    for url in (
        "/",
        product.category.get_absolute_url(),
        product.get_absolute_url(),
        "/search/?q=pen",
        "/privacy/",
        "/privacy/cookies/",
        "/account/login/",
        "/admin/login/",
    ):
        assert client.get(url).status_code == 200, url
        yield url
    assert client.post("/cart/add/", {"sku": sku.pk, "quantity": 2}).status_code == 302
    assert client.get("/cart/").status_code == 200
    yield "cart"
    client.post("/account/login/", {"login": "nobody@example.com", "password": "wrong one"})
    customer = CustomerFactory(password=PASSWORD)
    signed_in = client.post("/account/login/", {"login": customer.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    for url in ("/", product.get_absolute_url(), "/cart/", "/privacy/"):
        assert client.get(url, headers={"Sec-GPC": "1"}).status_code == 200, url
    yield "signed in"
    client.post("/account/logout/")
    yield "signed out"


# Transactional: the cart cookie goes out only once the cart's change commits (on_commit).
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("notice_v1")
def test_p10_every_cookie_the_shop_sets_is_declared() -> None:
    client = RecordingClient()

    steps = list(drive_the_shop(client))

    assert steps[-1] == "signed out"
    assert undeclared(client) == []
    assert longer_than_declared(client) == []
    # The flows did set the shop's cookies, so the check above had something to check.
    assert {"sessionid", "csrftoken", "cart", "messages"} <= client.names()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("notice_v1")
def test_p10_the_production_cookie_names_are_declared_too(settings: object) -> None:
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"  # type: ignore[attr-defined]
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"  # type: ignore[attr-defined]
    settings.BUNGU_CART_COOKIE_NAME = "__Host-cart"  # type: ignore[attr-defined]
    client = RecordingClient()

    list(drive_the_shop(client))

    assert undeclared(client) == []
    assert {"__Host-sessionid", "__Host-csrftoken", "__Host-cart"} <= client.names()
    assert cookie_registry.get("__Host-cart").default_name == "cart"
    assert cookie_registry.find("sessionid") is None


# ---------------------------------------------------------------- positive control
def _sets_a_tracker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("hello")
    response.set_cookie("tracker", "123", max_age=3600)
    return response


def _keeps_csrf_too_long(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("hello")
    response.set_cookie("csrftoken", "x" * 32, max_age=10 * 365 * 86400)
    return response


urlpatterns = [
    path("tracker/", _sets_a_tracker),
    path("too-long/", _keeps_csrf_too_long),
    path("", include("bungu.urls")),
]


@pytest.mark.urls(__name__)
def test_a_view_setting_an_undeclared_cookie_is_caught() -> None:
    client = RecordingClient()
    client.get("/")
    assert undeclared(client) == []

    client.get("/tracker/")
    client.get("/too-long/")

    assert undeclared(client) == ["tracker (set by /tracker/)"]
    assert longer_than_declared(client) == ["csrftoken (Max-Age 315360000 set by /too-long/)"]
    with pytest.raises(UndeclaredCookie, match="'tracker' that is not declared"):
        cookie_registry.get("tracker")


# ---------------------------------------------------------------- the registry itself
def _cookie(name: str, **changes: object) -> Cookie:
    values: dict[str, object] = {
        "purpose": "Remembers a thing.",
        "max_age": datetime.timedelta(days=30),
        "needed_for": "a thing",
        "essential": True,
        "purposes": {Purpose.COOKIE_STORAGE},
        "promises": ("P10",),
    }
    values.update(changes)
    return Cookie(name, **values)  # type: ignore[arg-type]


def test_a_cookie_declared_twice_is_a_configuration_error() -> None:
    registry = CookieRegistry()
    registry.declare([_cookie("cart")], origin="shop.personal_data")

    with pytest.raises(ImproperlyConfigured, match=r"'cart' is declared twice"):
        registry.declare([_cookie("cart")], origin="other.personal_data")
    assert len(registry) == 1


def test_a_cookie_must_name_a_real_promise_and_a_positive_lifetime() -> None:
    with pytest.raises(ValueError, match=r"name the promises it serves"):
        _cookie("x", promises=("P99",))
    with pytest.raises(ValueError, match=r"max_age must be positive"):
        _cookie("x", max_age=datetime.timedelta(0))


def test_each_app_declares_its_own_cookies() -> None:
    origins = {c.default_name: cookie_registry.origin_of(c) for c in cookie_registry}

    assert origins == {
        "cart": "bungu.cart.personal_data",
        "csrftoken": "bungu.privacy.personal_data",
        "device": "bungu.accounts.personal_data",
        "messages": "bungu.privacy.personal_data",
        "sessionid": "bungu.privacy.personal_data",
    }


def test_lifetimes_read_as_words() -> None:
    assert _cookie("a", max_age=None).lifetime() == "until you close the browser"
    assert _cookie("a", max_age=datetime.timedelta(days=365)).lifetime() == "1 year"
    assert _cookie("a", max_age=datetime.timedelta(days=14)).lifetime() == "up to 14 days"
    assert _cookie("a", max_age=datetime.timedelta(hours=2)).lifetime() == "up to 2 hours"


# ---------------------------------------------------------------- the page
def test_p11_the_cookie_page_is_made_from_the_registry(client: Client) -> None:
    response = client.get("/privacy/cookies/")

    assert response.status_code == 200
    html = response.content.decode()
    assert page_problems(html) == []
    for cookie in cookie_registry:
        assert f"<code>{cookie.name}</code>" in html
        assert cookie.lifetime() in html
    assert "You can browse the catalogue, search and read every page with cookies" in html
    assert "keeping a cart while you are not signed in" in html
    assert "<td>up to 90 days</td>" in html
    assert "<td>until you close the browser</td>" in html


def test_p10_the_footer_links_the_notice_and_the_cookie_page(client: Client) -> None:
    html = client.get("/").content.decode()

    assert '<a href="/privacy/">Privacy notice</a>' in html
    assert '<a href="/privacy/cookies/">Cookies</a>' in html
