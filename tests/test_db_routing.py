"""The replica's routing (bungu.db_routing): the table model by model, read-after-write, and
migrations that never touch the replica. Stock and payment state are never read from it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import F, Model
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from bungu import db_routing
from bungu.catalog.models import SKU, CatalogState, Product
from bungu.checkout.models import CheckoutAttempt, WebhookReceipt
from bungu.db_routing import PRIMARY, REPLICA, ReplicaReadsMiddleware, ReplicaRouter
from bungu.orders.models import Order
from tests.accounts.factories import CustomerFactory

# What catalogue browsing may read from the replica, written out here on purpose: a model
# added to the allow-list must be added here too, by someone who read why.
EXPECTED_FROM_REPLICA = {
    "catalog.brand",
    "catalog.category",
    "catalog.producttype",
    "catalog.product",
    "catalog.productimage",
    "catalog.searchdocument",
}
NEVER_FROM_REPLICA_APPS = {
    "accounts",
    "sessions",
    "cart",
    "payments",
    "orders",
    "checkout",
    "privacy",
}

router = ReplicaRouter(replica=REPLICA)


@pytest.fixture(autouse=True)
def _catalog_unchanged_for_a_while() -> Iterator[None]:
    cache.set(db_routing.CATALOG_CHANGED_KEY, time.time() - 3600, None)
    yield
    cache.delete(db_routing.CATALOG_CHANGED_KEY)


def _get(path: str = "/") -> HttpRequest:
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def _routed_in_a_request(
    request: HttpRequest, view: Callable[[], None] | None = None
) -> dict[str, str]:
    """Where each model's reads go, asked inside a request after ``view`` ran."""
    table: dict[str, str] = {}

    def get_response(request: HttpRequest) -> HttpResponse:
        if view is not None:
            view()
        for model in apps.get_models(include_auto_created=True):
            table[model._meta.label_lower] = router.db_for_read(model)
        return HttpResponse("ok")

    ReplicaReadsMiddleware(get_response)(request)
    return table


def _from_replica(table: dict[str, str]) -> set[str]:
    return {label for label, alias in table.items() if alias == REPLICA}


def test_catalogue_browsing_reads_exactly_the_allow_list_from_the_replica() -> None:
    table = _routed_in_a_request(_get())

    assert _from_replica(table) == EXPECTED_FROM_REPLICA
    # Stock, payment and order state: always the primary.
    for model in (SKU, CatalogState, Order, CheckoutAttempt, WebhookReceipt):
        assert table[model._meta.label_lower] == PRIMARY
    for label, alias in table.items():
        if label.partition(".")[0] in NEVER_FROM_REPLICA_APPS:
            assert alias == PRIMARY, label


def test_positive_control_a_planted_mis_route_changes_the_table(monkeypatch) -> None:
    # Reviews are not primary-only by app, so only the allow-list keeps them on the primary.
    monkeypatch.setattr(db_routing, "REPLICA_READS", db_routing.REPLICA_READS | {"reviews.review"})

    assert _from_replica(_routed_in_a_request(_get())) == EXPECTED_FROM_REPLICA | {"reviews.review"}


@pytest.mark.parametrize("planted", ["catalog.sku", "orders.order", "checkout.checkoutattempt"])
def test_stock_and_payment_state_stay_on_the_primary_even_when_planted(
    monkeypatch, planted: str
) -> None:
    monkeypatch.setattr(db_routing, "REPLICA_READS", db_routing.REPLICA_READS | {planted})

    assert _routed_in_a_request(_get())[planted] == PRIMARY
    # ... and the check refuses the list that names it.
    with pytest.raises(SystemCheckError, match=f"bungu.E010.*{planted}"):
        call_command("check")


def test_the_real_allow_list_passes_its_check_and_a_misspelt_one_does_not(monkeypatch) -> None:
    call_command("check")
    monkeypatch.setattr(db_routing, "REPLICA_READS", db_routing.REPLICA_READS | {"catalog.pens"})

    with pytest.raises(SystemCheckError, match=r"catalog\.pens is on the replica's allow-list but"):
        call_command("check")


def test_outside_a_request_every_read_is_from_the_primary() -> None:
    # Jobs, commands and the shell: nothing decides it is safe, so nothing is from the replica.
    assert {router.db_for_read(m) for m in apps.get_models()} == {PRIMARY}


def test_a_block_may_ask_for_the_primary_inside_a_request() -> None:
    table: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        table["before"] = router.db_for_read(Product)
        with db_routing.primary_reads():
            table["inside"] = router.db_for_read(Product)
        table["after"] = router.db_for_read(Product)
        return HttpResponse()

    ReplicaReadsMiddleware(view)(_get())

    assert table == {"before": REPLICA, "inside": PRIMARY, "after": REPLICA}


def test_without_a_replica_every_read_is_from_the_primary() -> None:
    table: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        table["product"] = ReplicaRouter().db_for_read(Product)
        return HttpResponse()

    ReplicaReadsMiddleware(view)(_get())

    assert table == {"product": PRIMARY}


def test_a_post_reads_everything_from_the_primary() -> None:
    request = RequestFactory().post("/cart/add/")
    request.user = AnonymousUser()

    assert _from_replica(_routed_in_a_request(request)) == set()


@pytest.mark.django_db
@override_settings(DATABASE_ROUTERS=["bungu.db_routing.ReplicaRouter"])
def test_a_request_that_wrote_reads_from_the_primary_from_then_on() -> None:
    CatalogState.objects.get_or_create(id=1)

    def write() -> None:
        CatalogState.objects.filter(id=1).update(generation=F("generation") + 1)

    assert _from_replica(_routed_in_a_request(_get(), write)) == set()
    # Positive control: the same request without the write reads the catalogue from the replica.
    assert _from_replica(_routed_in_a_request(_get())) == EXPECTED_FROM_REPLICA


@pytest.mark.django_db
@override_settings(DATABASE_ROUTERS=["bungu.db_routing.ReplicaRouter"], BUNGU_REPLICA_MAX_LAG=30)
def test_a_customer_who_wrote_reads_from_the_primary_on_their_next_requests() -> None:
    customer = CustomerFactory()
    session = SessionStore()
    session.create()

    def signed_in_get() -> HttpRequest:
        request = _get("/account/orders/")
        request.user = customer
        request.session = SessionStore(session.session_key)
        return request

    # Placing an order through node A: the request writes, and its session says so.
    placing = signed_in_get()
    _routed_in_a_request(placing, lambda: CatalogState.objects.filter(id=1).update(generation=1))
    placing.session.save()
    assert isinstance(SessionStore(session.session_key).get(db_routing.SESSION_KEY), float)

    # "My orders" through node B (another process: only the session is shared).
    assert _from_replica(_routed_in_a_request(signed_in_get())) == set()

    # Once the lag bound has passed, browsing may use the replica again.
    with override_settings(BUNGU_REPLICA_MAX_LAG=0):
        assert _from_replica(_routed_in_a_request(signed_in_get())) == EXPECTED_FROM_REPLICA


@override_settings(BUNGU_REPLICA_MAX_LAG=30)
def test_pages_are_made_from_the_primary_while_a_catalogue_change_may_not_be_replayed() -> None:
    cache.set(db_routing.CATALOG_CHANGED_KEY, time.time(), None)
    assert _from_replica(_routed_in_a_request(_get())) == set()

    cache.set(db_routing.CATALOG_CHANGED_KEY, time.time() - 31, None)
    assert _from_replica(_routed_in_a_request(_get())) == EXPECTED_FROM_REPLICA

    # A lost mark counts as a change just now.
    cache.delete(db_routing.CATALOG_CHANGED_KEY)
    assert _from_replica(_routed_in_a_request(_get())) == set()


def test_migrations_never_run_on_the_replica() -> None:
    models: list[type[Model]] = list(apps.get_models(include_auto_created=True))

    assert {
        router.allow_migrate(REPLICA, m._meta.app_label, model_name=m._meta.model_name)
        for m in models
    } == {False}
    assert {
        router.allow_migrate(PRIMARY, m._meta.app_label, model_name=m._meta.model_name)
        for m in models
    } == {None}
