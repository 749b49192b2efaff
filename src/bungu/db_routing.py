"""Which database a query goes to when the shop has a hot standby (``DATABASE_REPLICA_URL``).

The standby replays the primary's changes a little late, so only what may be a few seconds
old without harm is read from it: **catalogue browsing**, by an explicit allow-list of the
catalogue models the public pages read (``REPLICA_READS``). Everything else is read from the
primary: stock (``catalog.SKU`` holds it) and the catalogue generation that invalidates
pages, and every model of carts, accounts, sessions, payments, orders, checkout and privacy
(``PRIMARY_ONLY``; the check ``bungu.E010`` refuses an allow-list that names one of them).

A read goes to the replica only when all of these hold (``ReplicaReadsMiddleware`` decides,
per request; outside a request, in a job or a command, every read is from the primary):

* the request is a GET or HEAD, and has written nothing so far (the router sees every write
  ask for a database, and from then on the request reads from the primary);
* the visitor wrote nothing in the last ``BUNGU_REPLICA_MAX_LAG`` seconds: a signed-in
  request that wrote leaves ``wrote_at`` in its session (kept in the primary), so what
  they did through node A is what they see through node B at once. An anonymous visitor
  has no session to mark, and writes only carts and requests, which are never read from
  the replica;
* the catalogue has not changed in the last ``BUNGU_REPLICA_MAX_LAG`` seconds (a mark in
  the shared cache, read once per request and only by one that reads the catalogue): a
  page made from a standby that has not yet replayed a change would be cached as current.

Migrations never run on the replica (``allow_migrate``). This module imports no app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from bungu import shared_cache

PRIMARY = "default"
REPLICA = "replica"

# Read by the public catalogue pages, and harmless when a few seconds old.
REPLICA_READS = frozenset(
    {
        "catalog.brand",
        "catalog.category",
        "catalog.producttype",
        "catalog.product",
        "catalog.productimage",
        "catalog.searchdocument",
    }
)
# Never from the replica, whatever REPLICA_READS says: apps by label, models by label.
PRIMARY_ONLY_APPS = frozenset(
    {
        "accounts",
        "account",
        "auth",
        "sessions",
        "usersessions",
        "mfa",
        "privacy",
        "cart",
        "payments",
        "orders",
        "checkout",
    }
)
PRIMARY_ONLY_MODELS = frozenset({"catalog.sku", "catalog.catalogstate"})

SESSION_KEY = "bungu_wrote_at"
CATALOG_CHANGED_KEY = "bungu:replica:catalog-changed-at"


@dataclass
class _Reads:
    """One request's state. ``may_use_replica`` is None until the first read of an allowed
    model decides it, so a request that reads no catalogue (a page-cache hit) pays nothing."""

    request: HttpRequest | None
    may_use_replica: bool | None
    wrote: bool = False


_request: ContextVar[_Reads | None] = ContextVar("bungu_replica_reads", default=None)


def is_primary_only(label: str) -> bool:
    return label in PRIMARY_ONLY_MODELS or label.partition(".")[0] in PRIMARY_ONLY_APPS


def may_come_from_replica(model: type[Model]) -> bool:
    """Whether reads of ``model`` may be served by the replica at all (the allow-list; the
    auto-made table of a many-to-many field between two allowed models is allowed too)."""
    label = model._meta.label_lower
    if is_primary_only(label):
        return False
    if label in REPLICA_READS:
        return True
    if model._meta.auto_created:
        targets = [f.related_model for f in model._meta.fields if f.is_relation]
        return bool(targets) and all(
            isinstance(t, type) and t._meta.label_lower in REPLICA_READS for t in targets
        )
    return False


def note_catalog_change() -> None:
    """Say that the catalogue changed now: requests read it from the primary for the next
    ``BUNGU_REPLICA_MAX_LAG`` seconds, until the replica has surely replayed the change.
    Nothing without a replica."""
    if REPLICA not in settings.DATABASES:
        return
    shared_cache.set(CATALOG_CHANGED_KEY, time.time(), None)


def _catalog_changed_recently() -> bool:
    changed_at = shared_cache.get(CATALOG_CHANGED_KEY)
    # A lost or unreadable mark counts as a change just now: the primary is always right.
    if not isinstance(changed_at, float):
        return True
    return time.time() - changed_at < float(settings.BUNGU_REPLICA_MAX_LAG)


class ReplicaRouter:
    """The shop's database router (``DATABASE_ROUTERS``, set when a replica is configured)."""

    def __init__(self, replica: str | None = None) -> None:
        self.replica = replica or (REPLICA if REPLICA in settings.DATABASES else None)

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        reads = _request.get()
        if self.replica is None or reads is None or not may_come_from_replica(model):
            return PRIMARY
        if reads.may_use_replica is None:
            # The session and the user are read from the primary: no recursion into here.
            recent = _wrote_lately(reads.request) or _catalog_changed_recently()
            reads.may_use_replica = not recent
        return self.replica if reads.may_use_replica else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        reads = _request.get()
        if reads is not None:
            # Read-after-write within the request: from now on, the primary.
            reads.may_use_replica = False
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Both databases hold the same rows.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The standby replays the primary's schema; migrating it directly would fail or fork it.
        return False if db == REPLICA else None


@contextmanager
def primary_reads() -> Iterator[None]:
    """Inside this block every read is from the primary (the default outside requests)."""
    token = _request.set(None)
    try:
        yield
    finally:
        _request.reset(token)


class ReplicaReadsMiddleware:
    """Lets a request read the catalogue from the replica when that is safe (see above);
    after SessionMiddleware and AuthenticationMiddleware, which it reads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads = _Reads(request=request, may_use_replica=None)
        if request.method not in {"GET", "HEAD"}:
            reads.may_use_replica = False
        token = _request.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if reads.wrote and _signed_in(request):
            request.session[SESSION_KEY] = time.time()
        return response


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and hasattr(request, "session")


def _wrote_lately(request: HttpRequest | None) -> bool:
    """Whether this signed-in customer wrote within the lag bound (through any node)."""
    if request is None or not _signed_in(request):
        return False
    wrote_at = request.session.get(SESSION_KEY)
    if not isinstance(wrote_at, float):
        return False
    return time.time() - wrote_at < float(settings.BUNGU_REPLICA_MAX_LAG)
