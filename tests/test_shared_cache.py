"""The shared cache stopped (Redis down): pages still render, while the rate limits that
guard the privacy form and the agents' API fail closed with a clear 503.

A real Redis client talks to a loopback port nobody listens on: a real connection error,
no mock. Each case has its positive control with a cache that answers.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from bungu import shared_cache
from bungu.catalog import page_deps
from bungu.catalog.models import CatalogState
from bungu.mail.models import OutboxMessage
from bungu.privacy.models import PendingPrivacyRequest
from bungu.privacy.views import throttle
from bungu.storefront.errors import SharedCacheDownMiddleware
from tests.accounts.factories import CustomerFactory
from tests.api.factories import bearer, token_for
from tests.catalog.factories import ProductFactory
from tests.storefront.html_checks import page_problems

pytestmark = pytest.mark.django_db

FORM = "/privacy/requests/by-email/"
PICK_LISTS = "/api/v1/fulfilment/pick-lists"
REQUEST = {"email": "someone@example.com", "kind": "access", "description": "A copy, please."}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_down() -> Iterator[None]:
    dead = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
    }
    # As settings.py chooses for a shared cache: sessions in the database alone.
    with override_settings(
        CACHES={"default": dead}, SESSION_ENGINE="django.contrib.sessions.backends.db"
    ):
        # The precondition: this cache really fails.
        with pytest.raises(shared_cache.ERRORS):
            cache.get("anything")
        yield


@pytest.fixture(autouse=True)
def _outbox(settings) -> None:
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"


def _pages() -> list[str]:
    product = ProductFactory()
    return [
        "/",
        product.get_absolute_url(),
        "/search/?q=pen",
        "/brands/",
        f"/brands/{product.brand.slug}/",
    ]


def test_pages_still_render_while_the_shared_cache_is_down(redis_down, caplog, monkeypatch) -> None:
    # Logged once a minute per process: forget what an earlier test of this process logged.
    monkeypatch.setattr(shared_cache, "_last_logged", {})
    pages = _pages()
    customer = CustomerFactory()
    signed_in = Client()
    signed_in.force_login(customer)

    with caplog.at_level(logging.WARNING, logger="bungu.shared_cache"):
        for url in pages:
            for client in (Client(), signed_in):
                response = client.get(url)
                assert response.status_code == 200, url
                # Never a hit: nothing could be stored.
                assert response.get("X-Bungu-Page-Cache") in {None, "miss"}, url

    assert "shared cache unavailable" in caplog.text


def test_positive_control_pages_are_cached_when_the_cache_answers() -> None:
    url = _pages()[1]
    client = Client()

    assert client.get(url)["X-Bungu-Page-Cache"] == "miss"
    assert client.get(url)["X-Bungu-Page-Cache"] == "hit"


def test_the_privacy_form_fails_closed_with_a_clear_503(redis_down) -> None:
    response = Client().post(FORM, REQUEST)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Please try again in a minute" in response.content.decode()
    assert page_problems(response.content.decode()) == []
    # Nothing was sent or recorded.
    assert OutboxMessage.objects.count() == 0
    assert PendingPrivacyRequest.objects.count() == 0


def test_positive_control_the_privacy_form_works_when_the_cache_answers() -> None:
    response = Client().post(FORM, REQUEST)

    assert response.status_code == 302
    assert PendingPrivacyRequest.objects.count() == 0  # no such account: the neutral answer
    assert response["Location"] == "/privacy/requests/by-email/sent/"


def test_the_privacy_form_still_renders_for_reading_while_the_cache_is_down(redis_down) -> None:
    # Only counting a use needs the cache: the empty form is a page like any other.
    assert Client().get(FORM).status_code == 200


def test_the_throttle_raises_instead_of_letting_a_use_through(redis_down) -> None:
    with pytest.raises(throttle.CacheUnavailable):
        throttle.use(throttle.PER_ADDRESS, key="someone@example.com")


def test_the_agents_api_rate_limit_fails_closed(redis_down) -> None:
    token = token_for("fulfilment")
    response = Client().get(PICK_LISTS, headers=bearer(token))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "detail": "The shop cannot count calls right now; try again in a minute."
    }


def test_positive_control_the_agents_api_answers_when_the_cache_answers() -> None:
    response = Client().get(PICK_LISTS, headers=bearer(token_for("fulfilment")))

    assert response.status_code == 200


def test_sign_in_limits_fail_closed_with_a_503_page_not_a_500(redis_down) -> None:
    # django-allauth counts sign-ins in the cache itself: its error reaches the middleware.
    customer = CustomerFactory()
    response = Client(raise_request_exception=False).post(
        reverse("account_login"), {"login": customer.email, "password": "wrong password 1"}
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Please try again in a minute" in response.content.decode()
    assert page_problems(response.content.decode()) == []


def test_positive_control_the_middleware_leaves_other_errors_alone(rf) -> None:
    middleware = SharedCacheDownMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]

    assert middleware.process_exception(rf.get("/"), ValueError("not the cache")) is None


def test_a_catalogue_change_while_the_cache_is_down_moves_every_page_on(redis_down) -> None:
    CatalogState.objects.get_or_create(id=1)
    before = CatalogState.objects.get(id=1).generation

    page_deps.mark_changed(["product:some-pen"])

    # The versions could not move: the generation in the database did, so no page cached
    # before the outage is served once the cache is back.
    assert CatalogState.objects.get(id=1).generation == before + 1


def test_positive_control_a_change_with_the_cache_up_moves_only_its_versions() -> None:
    CatalogState.objects.get_or_create(id=1)
    before = CatalogState.objects.get(id=1).generation
    old = page_deps.current_versions(["product:some-pen"])

    page_deps.mark_changed(["product:some-pen"])

    assert CatalogState.objects.get(id=1).generation == before
    assert page_deps.current_versions(["product:some-pen"]) != old
