from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from bungu.catalog.caching import CACHE_HEADER, cache_catalog_page
from bungu.catalog.models import CatalogState
from tests.accounts.factories import CustomerFactory

from .factories import BrandFactory

pytestmark = pytest.mark.django_db

calls: list[str] = []


@cache_catalog_page
def counting_view(request: HttpRequest) -> HttpResponse:
    calls.append(request.get_full_path())
    return HttpResponse(f"page {len(calls)}")


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def _get(path: str = "/c/pens/", **cookies: str) -> HttpRequest:
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_second_anonymous_request_is_served_from_the_cache() -> None:
    first = counting_view(_get())
    second = counting_view(_get())

    assert (first[CACHE_HEADER], second[CACHE_HEADER]) == ("miss", "hit")
    assert second.content == first.content == b"page 1"
    assert calls == ["/c/pens/"]


def test_query_string_is_part_of_the_key() -> None:
    counting_view(_get("/c/pens/?page=2"))
    counting_view(_get("/c/pens/?page=3"))

    assert calls == ["/c/pens/?page=2", "/c/pens/?page=3"]


def test_a_catalogue_change_makes_cached_pages_stale() -> None:
    counting_view(_get())
    generation = CatalogState.current()

    BrandFactory()
    response = counting_view(_get())

    assert CatalogState.current() > generation
    assert response[CACHE_HEADER] == "miss"
    assert response.content == b"page 2"


def test_a_signed_in_customer_shares_the_cached_page() -> None:
    counting_view(_get())
    request = _get(sessionid="abc")
    request.user = CustomerFactory()

    response = counting_view(request)

    assert response[CACHE_HEADER] == "hit"
    assert response.content == b"page 1"
    assert calls == ["/c/pens/"]


def test_the_shared_page_is_made_as_for_an_anonymous_visitor_without_messages() -> None:
    seen = []

    @cache_catalog_page
    def telling_view(request: HttpRequest) -> HttpResponse:
        seen.append((request.user.is_authenticated, list(get_messages(request))))
        return HttpResponse("shared")

    request = _get(sessionid="abc")
    customer = CustomerFactory()
    request.user = customer
    request._messages.add(20, "Added to your wish list.")  # type: ignore[attr-defined]

    telling_view(request)

    assert seen == [(False, [])]
    # The request is the visitor's again afterwards, message still pending.
    assert request.user == customer
    assert [str(m) for m in get_messages(request)] == ["Added to your wish list."]


def test_a_pending_flash_message_does_not_bypass_the_cache() -> None:
    counting_view(_get())
    request = _get(sessionid="abc")
    request._messages.add(20, "Added to your wish list.")  # type: ignore[attr-defined]

    assert counting_view(request).content == b"page 1"


def test_error_responses_are_not_cached() -> None:
    @cache_catalog_page
    def failing(request: HttpRequest) -> HttpResponse:
        calls.append("x")
        return HttpResponse("gone", status=404)

    failing(_get())
    failing(_get())

    assert calls == ["x", "x"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_trusts_its_generation_reading_for_the_ttl_only(settings) -> None:
    settings.BUNGU_CATALOG_GENERATION_TTL = 60
    CatalogState.bump()
    seen = CatalogState.current()

    # Another worker's change: the row moves without this process hearing of it.
    CatalogState.objects.filter(id=1).update(generation=seen + 10)
    assert CatalogState.current() == seen

    settings.BUNGU_CATALOG_GENERATION_TTL = 0
    assert CatalogState.current() == seen + 10


@pytest.mark.django_db(transaction=True)
def test_a_workers_own_change_is_seen_at_once(settings) -> None:
    settings.BUNGU_CATALOG_GENERATION_TTL = 60
    before = CatalogState.current()

    BrandFactory()

    assert CatalogState.current() > before


def test_a_cached_page_answers_a_revalidation_with_304(client) -> None:
    first = client.get("/")
    again = client.get("/", headers={"if-none-match": first["ETag"]})

    assert first[CACHE_HEADER] == "miss"
    assert again.status_code == 304
    assert again.content == b""


def test_a_message_in_the_messages_cookie_is_shown_on_a_cached_page(client) -> None:
    client.get("/")
    storage = CookieStorage(_get())
    encoded = storage._encode([Message(constants.ERROR, "Only 2 left.")])
    client.cookies[CookieStorage.cookie_name] = encoded

    response = client.get("/")

    assert response[CACHE_HEADER] == "hit"
    assert '<p class="message message-error">Only 2 left.</p>' in response.content.decode()
    # Shown once: the next page no longer carries it.
    assert "Only 2 left." not in client.get("/").content.decode()
