"""The wish lists' segment for marketing campaigns (``bungu.segments``; the marketing app
finds this module, so neither app imports the other)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F

from bungu.segments import Segment

from .models import WishListItem


def wished_in_stock(*, argument: str, now: datetime) -> Any:
    """Customers with an item on a wish list that can be bought and is in stock now.

    No stock history is kept, so "back in stock" is read as "in stock now": the campaign is
    written for the day a restock arrives."""
    return WishListItem.objects.filter(
        sku__is_active=True,
        sku__product__is_active=True,
        sku__stock__gt=F("sku__allocated"),
    ).values_list("wish_list__owner_id", flat=True)


SEGMENTS = [Segment("wished_in_stock", "Wish-listed an item that is in stock now", wished_in_stock)]
