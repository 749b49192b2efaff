"""The shop's way into the shared cache when the cache may be down (several nodes on Redis).

Django's file and memory caches never fail; its Redis cache raises on a connection error
(``redis.exceptions.ConnectionError``, a timeout ...). The several-node form keeps pages,
catalogue versions, sessions' last-seen marks and rate-limit counters in Redis, so what
happens when Redis stops is decided here, once, and documented in docs/design.md:

* **Browsing fails open.** Page-cache reads and writes, the catalogue's dependency versions
  and the other best-effort marks go through ``get``/``set``/``get_many``... below: an error
  is logged (once a minute per process, so a dead Redis does not flood the log) and reads
  as a miss, writes are dropped. A page is then made from the database every time: slower,
  never a 500.
* **Rate limits on privacy forms fail closed.** A limit that cannot be counted cannot be
  kept (P26: the form e-mails whatever address is typed in), so the throttle calls the
  cache directly and lets ``CacheUnavailable`` out; the view answers 503 "try again in a
  minute" (``bungu.privacy.views.requests_by_email``).

This module imports no app (an import-linter contract): every layer may use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger("bungu.shared_cache")

T = TypeVar("T")


class CacheUnavailable(Exception):  # noqa: N818 - a domain noun, like OutOfStock
    """The shared cache could not be reached."""


# What a cache backend raises when its server cannot be reached: Redis's errors derive from
# RedisError; OSError covers a backend that lets a socket error out (a full disk).
ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
# What the shop answers 503 for when nothing caught it (``bungu.storefront.errors``).
UNAVAILABLE: tuple[type[Exception], ...] = (RedisError, CacheUnavailable)

_LOG_EVERY_SECONDS = 60.0
_last_logged: dict[str, float] = {}


def _logged(operation: str, error: Exception) -> None:
    now = time.monotonic()
    if now - _last_logged.get(operation, -_LOG_EVERY_SECONDS) >= _LOG_EVERY_SECONDS:
        _last_logged[operation] = now
        logger.warning(
            "shared cache unavailable during %s (%s: %s); carrying on without it",
            operation,
            type(error).__name__,
            error,
        )


def _tolerant(operation: str, call: Callable[[], T], fallback: T) -> T:
    try:
        return call()
    except ERRORS as error:
        _logged(operation, error)
        return fallback


def get(key: str, default: Any = None) -> Any:
    """``cache.get``; the default when the cache is down."""
    return _tolerant("get", lambda: cache.get(key, default), default)


def get_many(keys: Iterable[str]) -> dict[str, Any]:
    """``cache.get_many``; nothing found when the cache is down."""
    wanted = list(keys)
    return _tolerant("get_many", lambda: cache.get_many(wanted), {})


def set(key: str, value: Any, timeout: float | None) -> None:  # noqa: A001 - cache vocabulary
    """``cache.set``; dropped when the cache is down."""
    _tolerant("set", lambda: cache.set(key, value, timeout), None)


def set_many(values: Mapping[str, Any], timeout: float | None) -> None:
    """``cache.set_many``; dropped when the cache is down."""
    _tolerant("set_many", lambda: cache.set_many(dict(values), timeout), [])


def add(key: str, value: Any, timeout: float | None) -> bool:
    """``cache.add``; False (not added) when the cache is down."""
    return _tolerant("add", lambda: bool(cache.add(key, value, timeout)), False)


def delete(key: str) -> None:
    """``cache.delete``; dropped when the cache is down (the entry expires on its own)."""
    _tolerant("delete", lambda: cache.delete(key), False)


def strict(call: Callable[[], T]) -> T:
    """Run a cache call that must not be skipped; raises CacheUnavailable when the cache
    is down (the caller fails closed)."""
    try:
        return call()
    except ERRORS as error:
        _logged("a strict call", error)
        raise CacheUnavailable(str(error)) from error
