"""The check that ``SKU.restocked_at`` followed a change of stock, whatever made it: every SKU
whose units available went from none to some is marked, at a time within the change, and
no other SKU's mark moved. Tests of each path that changes stock wrap the change in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

from bungu.catalog.models import SKU


def _rows() -> dict[int, tuple[int, datetime | None]]:
    return {
        pk: (max(stock - allocated, 0), restocked_at)
        for pk, stock, allocated, restocked_at in SKU.objects.values_list(
            "pk", "stock", "allocated", "restocked_at"
        )
    }


@contextmanager
def restocks_in_step() -> Iterator[dict[str, set[int]]]:
    """Yields a dict that holds, after the block, "restocked": the SKU ids marked by it.
    Raises AssertionError naming the SKUs "missing" a mark or marked "wrongly"."""
    seen: dict[str, set[int]] = {}
    before, start = _rows(), timezone.now()
    yield seen
    after, end = _rows(), timezone.now()
    came_back = {
        pk for pk, (was, _) in before.items() if was == 0 and after.get(pk, (0, None))[0] > 0
    }
    moved = {pk for pk, (_, at) in after.items() if pk in before and at != before[pk][1]}
    new_marked = {pk for pk, (_, at) in after.items() if pk not in before and at is not None}
    assert moved | new_marked == came_back, {
        "missing": came_back - moved,
        "wrongly": (moved | new_marked) - came_back,
    }
    for pk in moved:
        at = after[pk][1]
        assert at is not None, pk
        assert start <= at <= end, (pk, at)
    seen["restocked"] = moved
