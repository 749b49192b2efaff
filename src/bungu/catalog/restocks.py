"""When a SKU came back in stock: ``SKU.restocked_at``, the last time a change of its stock
made units available where none were (available = stock - allocated, 0 before, more after).

A fact about the catalogue, not about anyone: the wish lists' back-in-stock segment reads it.
Every path that changes stock keeps it, in the same transaction as the change:

- a SKU's save (the admin, the back office, factories) writes it in the very UPDATE that
  writes the stock, computed by the database from the row as it was (``when_restocked``);
- the stock services (``hold_stock``, ``release_stock``, ``restock``) and the CSV import
  compare the units available before and after the whole change (``came_back_in_stock``)
  and mark those SKUs in one UPDATE per slice (``record_restocks``), never one per SKU.

A new SKU has not come *back*: creating one with stock leaves it empty. ``consume_stock``
takes units from on hand and allocated alike, so it never changes what is available.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Case, F, Q, QuerySet, Value, When

# SQLite caps the parameters of one query; PostgreSQL does not mind slices.
SLICE = 900


def when_restocked(*, new_stock: int, at: datetime) -> Case:
    """The value of ``restocked_at`` for an UPDATE that writes ``new_stock`` and leaves
    ``allocated`` alone: ``at`` when the row had none available and will have some, else what
    it was. In SQL every right-hand side reads the row as it was before the UPDATE."""
    return Case(
        When(Q(stock__lte=F("allocated")) & Q(allocated__lt=new_stock), then=Value(at)),
        default=F("restocked_at"),
    )


def came_back_in_stock(before: Mapping[int, int], after: Mapping[int, int]) -> list[int]:
    """The SKU ids with no units available before and some after (ids -> units available)."""
    return sorted(pk for pk, was in before.items() if was <= 0 and after.get(pk, 0) > 0)


def record_restocks(skus: QuerySet[Any], *, sku_ids: Iterable[int], at: datetime) -> int:
    """Set ``restocked_at`` of those of ``sku_ids`` that have units available now; returns how
    many. One UPDATE per slice of ids."""
    ids = sorted(set(sku_ids))
    marked = 0
    for start in range(0, len(ids), SLICE):
        marked += skus.filter(pk__in=ids[start : start + SLICE], stock__gt=F("allocated")).update(
            restocked_at=at
        )
    return marked
