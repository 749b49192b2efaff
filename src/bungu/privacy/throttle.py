"""Limits on the public privacy-request form (P26).

The form e-mails whatever account address is typed into it, so without a limit it could be
used to fill someone's mailbox. Each visitor (by IP address) and each e-mail address gets a
few uses per window; past that the form answers 429 until the window ends.

The counters live in Django's cache, keyed by an HMAC of the address or IP (with the
project's secret key), so the cache never holds either in clear. The cache is shared by the
shop's processes (a directory, or Redis); a lost cache only resets the counters early.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Limit:
    name: str
    uses: int
    per: timedelta


# A visitor may correct a typo or two; a script on one address cannot send more than this.
PER_VISITOR = Limit("privacy-request-ip", uses=10, per=timedelta(hours=1))
PER_ADDRESS = Limit("privacy-request-address", uses=3, per=timedelta(hours=1))


def client_ip(request: HttpRequest) -> str:
    """The visitor's IP address. Behind the shop's own proxies (the count django-allauth is
    told of, ALLAUTH_TRUSTED_PROXY_COUNT) it is the entry those proxies added to
    X-Forwarded-For; entries before it are whatever the client claimed."""
    trusted = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.headers.get("X-Forwarded-For", "")
    if trusted > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= trusted and hops[-trusted]:
            return hops[-trusted]
    return str(request.META.get("REMOTE_ADDR", ""))


def use(limit: Limit, *, key: str) -> int | None:
    """Count one use of ``key`` (an IP or an address) against the limit. None while within
    it; once over it, the whole seconds until the window ends (for Retry-After)."""
    digest = salted_hmac(limit.name, key.strip().lower()).hexdigest()[:40]
    cache_key = f"bungu:throttle:{limit.name}:{digest}"
    now = time.time()
    window = limit.per.total_seconds()
    # (window start, uses): the start is stored, not left to the cache's expiry, because not
    # every cache backend keeps an entry's expiry when it is counted up.
    start, count = cache.get(cache_key) or (now, 0)
    if now - start >= window:
        start, count = now, 0
    count += 1
    remaining = max(1, int(start + window - now) + 1)
    cache.set(cache_key, (start, count), timeout=remaining)
    return None if count <= limit.uses else remaining
