"""The shop's file cache: Django's, with add and incr atomic and incr keeping the expiry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bungu.file_cache import FileCache


@pytest.fixture
def file_cache(tmp_path: Path) -> FileCache:
    return FileCache(str(tmp_path / "cache"), {})


def test_add_sets_only_what_is_missing(file_cache: FileCache) -> None:
    assert file_cache.add("k", 1, timeout=60) is True
    assert file_cache.add("k", 2, timeout=60) is False
    assert file_cache.get("k") == 1


def test_incr_counts_and_keeps_the_expiry(file_cache: FileCache) -> None:
    file_cache.add("k", 0, timeout=0.5)
    assert [file_cache.incr("k") for _ in range(3)] == [1, 2, 3]
    assert file_cache.incr("k", 10) == 13
    time.sleep(0.6)
    # Django's own incr would have re-set the entry for the default 300 seconds.
    assert file_cache.get("k") is None
    with pytest.raises(ValueError, match="not found"):
        file_cache.incr("k")
    assert file_cache.add("k", 0, timeout=60) is True


def test_incr_of_a_missing_key_is_refused(file_cache: FileCache) -> None:
    with pytest.raises(ValueError, match="not found"):
        file_cache.incr("nothing")
    assert file_cache.get("nothing") is None


def test_clear_leaves_the_lock_and_empties_the_entries(file_cache: FileCache) -> None:
    file_cache.add("k", 0, timeout=60)
    file_cache.clear()
    assert file_cache.get("k") is None
    assert file_cache.add("k", 5, timeout=60) is True
    assert file_cache.incr("k") == 6
