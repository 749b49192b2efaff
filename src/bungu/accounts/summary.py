"""A signed-in customer's summary: the few facts of theirs that a shared page's holes show.

A cached catalogue page is the same for everyone; its holes (``bungu.storefront.holes``) show
the signed-in customer's cart count, whether they saved an item to a wish list (and to which
lists they can save), their review of the product and their name in the account menu. Read
from the database that is three or four queries a page; read from here it is one cache read.

The summary is kept in the shop's cache under the customer's id, beside a *version*: a random
token that every service changing one of those facts replaces (``summary_changed``) both at
once and when its transaction commits. A summary is used only while it was made under the
current version, so a page made from the database between the change and its commit, which
stores the old state, is not used afterwards. The storefront builds the summary on a miss
(``bungu.storefront.summary``): this module knows only its shape and where it is kept, so
that every app, from accounts up, can say that it changed.

It holds a customer's data (their name, their wish lists' names): it is deleted
(``forget_summary``) when they sign out, when any of their sessions is ended (one, every other,
all, and the erasure of the account, which ends its sessions through ``accounts.sessions``) or
their reviews are erased, and expires after ``KEEP_SECONDS`` in any case. A summary is made
only for a signed-in request, so while it exists the account has a session, whose end
deletes it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from bungu import shared_cache

KEEP_SECONDS = 3600


@dataclass(frozen=True)
class CustomerSummary:
    display_name: str
    cart_count: int
    # The lists the product page offers to save to: (id, name), in the customer's order.
    wish_lists: tuple[tuple[int, str], ...]
    # The SKUs and products in any of their wish lists.
    wished_sku_ids: frozenset[int]
    wished_product_ids: frozenset[int]
    # The state of their review of each product they reviewed (ReviewStatus values).
    review_states: Mapping[int, str]


def _version_key(user_id: int) -> str:
    return f"accounts:summary-version:{user_id}"


def _summary_key(user_id: int) -> str:
    return f"accounts:summary:{user_id}"


def read_summary(*, user_id: int) -> tuple[str, CustomerSummary | None]:
    """The customer's summary if it is current (else None), and the version under which one
    made now must be stored (``store_summary``). One cache read."""
    version_key, summary_key = _version_key(user_id), _summary_key(user_id)
    found = shared_cache.get_many([version_key, summary_key])
    version = found.get(version_key)
    if not isinstance(version, str):
        # Never set, or evicted: a fresh version, which no stored summary can carry.
        version = secrets.token_hex(8)
        shared_cache.set(version_key, version, None)
        return version, None
    entry = found.get(summary_key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        summary = entry[1]
        if isinstance(summary, CustomerSummary):
            return version, summary
    return version, None


def store_summary(*, user_id: int, version: str, summary: CustomerSummary) -> None:
    shared_cache.set(_summary_key(user_id), (version, summary), KEEP_SECONDS)


def _new_version(user_id: int) -> None:
    shared_cache.set(_version_key(user_id), secrets.token_hex(8), None)


def summary_changed(*, user_id: int | None) -> None:
    """Say that something the customer's summary holds changed (or is about to, in the current
    transaction): the stored summary is not used from now on, nor one made before the change
    commits. Nothing for no customer (an anonymous cart)."""
    if user_id is None:
        return
    _new_version(user_id)
    transaction.on_commit(lambda: _new_version(user_id))


def forget_summary(*, user_id: int) -> None:
    """Delete the customer's summary (sign-out, erasure): their data leaves the cache."""
    summary_changed(user_id=user_id)
    shared_cache.delete(_summary_key(user_id))
    transaction.on_commit(lambda: shared_cache.delete(_summary_key(user_id)))
