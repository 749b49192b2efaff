"""Limits on the public privacy-request form (P26).

The form e-mails whatever account address is typed into it, so without a limit it could be
used to fill someone's mailbox. Each visitor (by IP address) and each e-mail address gets a
few uses per window; past that the form answers 429 until the window ends.

The counters live in Django's cache, keyed by an HMAC of the address or IP (with the
project's secret key), so the cache never holds either in clear. The cache is shared by the
shop's processes (a directory, or Redis); a lost cache only resets the counters early.
Counting uses only the cache's atomic operations (``add``, then ``incr``), so requests
arriving at once are each counted (the file cache makes both atomic: ``bungu.file_cache``;
on Redis they are SET NX and INCR), never a read-modify-write in Python.

A cache that cannot be reached (Redis stopped) fails closed: ``use`` raises
``CacheUnavailable`` rather than letting every request through, and the form answers 503
"try again in a minute" (``bungu.shared_cache`` says why browsing fails open instead).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from bungu import shared_cache


@dataclass(frozen=True)
class Limit:
    name: str
    uses: int
    per: timedelta


# A visitor may correct a typo or two; a script on one address cannot send more than this.
PER_VISITOR = Limit("privacy-request-ip", uses=10, per=timedelta(hours=1))
PER_ADDRESS = Limit("privacy-request-address", uses=3, per=timedelta(hours=1))


def client_ip(request: HttpRequest) -> str:
    """The visitor's IP address. Behind the shop's own proxies (BUNGU_TRUSTED_PROXIES of them)
    it is the entry the first of them added to X-Forwarded-For; entries before it are
    whatever the client claimed. With no trusted proxy the header is ignored."""
    trusted = int(settings.BUNGU_TRUSTED_PROXIES)
    forwarded = request.headers.get("X-Forwarded-For", "")
    if trusted > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= trusted and hops[-trusted]:
            return hops[-trusted]
    return str(request.META.get("REMOTE_ADDR", ""))


# Public names (``bungu.privacy.RateLimit``, ``count_use``): the agents' API counts its calls
# per token with the same counter.
RateLimit = Limit


def use(limit: Limit, *, key: str) -> int | None:
    """Count one use of ``key`` (an IP or an address) against the limit. None while within
    it; once over it, the whole seconds until the window ends (for Retry-After). Raises
    CacheUnavailable when the shared cache cannot be reached (the limit fails closed)."""
    digest = salted_hmac(limit.name, key.strip().lower()).hexdigest()[:40]
    base = f"bungu:throttle:{limit.name}:{digest}"
    window = limit.per.total_seconds()
    now = time.time()
    # The window opens with the first use: its start is added once and expires with the
    # window, so every process agrees on it. Each window counts in its own key, so the count
    # never depends on a backend keeping an entry's expiry when it is counted up.
    shared_cache.strict(lambda: cache.add(f"{base}:start", now, timeout=window))
    start = float(shared_cache.strict(lambda: cache.get(f"{base}:start", now)))
    count = _count_one(f"{base}:{start!r}", timeout=window + _SLACK_SECONDS)
    remaining = max(1, int(start + window - now) + 1)
    return None if count <= limit.uses else remaining


count_use = use
# Re-exported for the views: what ``use`` raises when it cannot count.
CacheUnavailable = shared_cache.CacheUnavailable

# The count outlives its window's start by this much, so it never expires first.
_SLACK_SECONDS = 60


def _count_one(key: str, *, timeout: float) -> int:
    """Add one to the counter at ``key`` atomically (cache.add, then cache.incr)."""
    for _ in range(3):
        shared_cache.strict(lambda: cache.add(key, 0, timeout=timeout))
        try:
            return int(shared_cache.strict(lambda: cache.incr(key)))
        except ValueError:
            # Gone between the add and the incr (evicted, or the cache was cleared): the next
            # add starts it again.
            continue
    # A cache that keeps nothing cannot count: as after a lost cache, this use goes through.
    return 1
