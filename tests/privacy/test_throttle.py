"""P26: the request limits count every use, even when requests arrive at once, and trust
X-Forwarded-For only behind as many proxies as BUNGU_TRUSTED_PROXIES says."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache
from django.test import Client

from bungu.file_cache import FileCache
from bungu.privacy.views import throttle
from bungu.privacy.views.throttle import Limit

FORM = "/privacy/requests/by-email/"


class _SlowPaths:
    """Widens the gap between reading an entry and writing it back, so a count that is
    not atomic loses uses reliably instead of now and then."""

    def _key_to_file(self, key: Any, version: int | None = None) -> str:
        time.sleep(0.003)
        return str(super()._key_to_file(key, version))  # type: ignore[misc]


class SlowFileCache(_SlowPaths, FileCache):
    pass


class SlowDjangoFileCache(_SlowPaths, FileBasedCache):
    pass


def _use_cache(settings, backend: str, tmp_path: Path) -> None:
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path / "cache")}}


def _accepted_at_once(limit: Limit, *, threads: int, tries: int) -> int:
    """How many of ``threads * tries`` uses, started together, the limit let through."""
    accepted = []
    start = threading.Barrier(threads)

    def hammer() -> None:
        start.wait()
        for _ in range(tries):
            if throttle.use(limit, key="someone@example.com") is None:
                accepted.append(1)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(accepted)


LIMIT = Limit("test-at-once", uses=5, per=timedelta(hours=1))


@pytest.mark.parametrize(
    "backend",
    [
        "bungu.file_cache.FileCache",  # the shop's default, shared by the workers
        "tests.privacy.test_throttle.SlowFileCache",
        "django.core.cache.backends.locmem.LocMemCache",
    ],
)
def test_p26_uses_at_once_are_each_counted(settings, tmp_path: Path, backend: str) -> None:
    _use_cache(settings, backend, tmp_path)
    assert _accepted_at_once(LIMIT, threads=8, tries=3) == LIMIT.uses


def test_p26_the_count_test_catches_a_count_that_is_not_atomic(settings, tmp_path: Path) -> None:
    # Positive control: Django's own file cache reads, then writes; at once, uses are lost.
    _use_cache(settings, "tests.privacy.test_throttle.SlowDjangoFileCache", tmp_path)
    assert _accepted_at_once(LIMIT, threads=8, tries=3) > LIMIT.uses


def test_p26_over_the_limit_says_when_the_window_ends() -> None:
    for _ in range(throttle.PER_ADDRESS.uses):
        assert throttle.use(throttle.PER_ADDRESS, key="window@example.com") is None
    assert throttle.use(throttle.PER_ADDRESS, key="window@example.com") == 3600
    assert throttle.use(throttle.PER_ADDRESS, key="other@example.com") is None


def test_p26_the_limit_opens_again_after_its_window() -> None:
    short = Limit("test-short", uses=2, per=timedelta(seconds=1))
    assert [throttle.use(short, key="k") for _ in range(3)] == [None, None, 1]
    time.sleep(1.05)
    assert [throttle.use(short, key="k") for _ in range(3)] == [None, None, 1]


class _LosesTheFirstCount:
    """The real cache, except that the first counter added is gone before its incr."""

    def __init__(self) -> None:
        self.lost: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(cache, name)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        added = cache.add(key, value, timeout=timeout)
        if not key.endswith(":start") and not self.lost:
            self.lost.append(key)
            cache.delete(key)  # as if evicted, or expired, before the incr
        return added


def test_p26_a_counter_lost_between_add_and_incr_is_started_again(monkeypatch) -> None:
    lossy = _LosesTheFirstCount()
    monkeypatch.setattr(throttle, "cache", lossy)
    assert throttle.use(LIMIT, key="lost@example.com") is None
    assert len(lossy.lost) == 1
    assert [throttle.use(LIMIT, key="lost@example.com") for _ in range(4)] == [None] * 4
    assert throttle.use(LIMIT, key="lost@example.com") == 3600


def test_p26_the_limits_never_keep_an_address_in_clear() -> None:
    throttle.use(throttle.PER_ADDRESS, key="secret@example.com")
    keys = list(cache._cache)  # type: ignore[attr-defined]  # LocMemCache in tests
    assert len(keys) == 2  # the window's start and its count
    assert not any("secret" in key for key in keys)


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "192.0.2.200"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.1, 198.51.100.1", "198.51.100.1"),
        (2, "198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "10.0.0.2", "192.0.2.200"),
        (1, "", "192.0.2.200"),
    ],
)
def test_the_visitor_ip_trusts_only_the_shops_own_proxies(
    settings, rf, trusted: int, forwarded: str, expected: str
) -> None:
    settings.BUNGU_TRUSTED_PROXIES = trusted
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = rf.get("/", REMOTE_ADDR="192.0.2.200", **headers)
    assert throttle.client_ip(request) == expected


def _statuses_from_one_proxy(count: int) -> list[int]:
    """POSTs of the form from one address, each claiming another visitor behind it."""
    return [
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
        .post(FORM, {"email": "broken", "kind": "access", "description": "x"})
        .status_code
        for number in range(count)
    ]


@pytest.mark.django_db
def test_p26_with_no_trusted_proxy_a_forged_header_does_not_escape_the_limit(settings) -> None:
    settings.BUNGU_TRUSTED_PROXIES = 0
    statuses = _statuses_from_one_proxy(throttle.PER_VISITOR.uses + 1)
    assert statuses == [400] * throttle.PER_VISITOR.uses + [429]


@pytest.mark.django_db
def test_p26_behind_one_trusted_proxy_each_visitor_has_their_own_limit(settings) -> None:
    settings.BUNGU_TRUSTED_PROXIES = 1
    statuses = _statuses_from_one_proxy(throttle.PER_VISITOR.uses + 1)
    assert statuses == [400] * (throttle.PER_VISITOR.uses + 1)


def test_the_trusted_proxy_count_is_the_one_allauth_uses() -> None:
    from django.conf import settings as django_settings  # noqa: PLC0415 - the real settings

    assert django_settings.BUNGU_TRUSTED_PROXIES == 0
    assert django_settings.ALLAUTH_TRUSTED_PROXY_COUNT == django_settings.BUNGU_TRUSTED_PROXIES
