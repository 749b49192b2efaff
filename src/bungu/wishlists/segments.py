"""The wish lists' segments for marketing campaigns (``bungu.segments``; the marketing app
finds this module, so neither app imports the other)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from bungu.catalog.models import SKU
from bungu.segments import Segment

from .models import WishListItem

DEFAULT_DAYS = 14
MIN_DAYS, MAX_DAYS = 1, 90
_DAYS_HELP = f"Give the days as a whole number from {MIN_DAYS} to {MAX_DAYS}, e.g. {DEFAULT_DAYS}."


def wished_in_stock(*, argument: str, now: datetime) -> Any:
    """Customers with an item on a wish list that can be bought and is in stock now, however
    long it has been."""
    return WishListItem.objects.filter(
        sku__is_active=True,
        sku__product__is_active=True,
        sku__stock__gt=F("sku__allocated"),
    ).values_list("wish_list__owner_id", flat=True)


def parse_days(argument: str) -> int:
    """The number of days a back-in-stock segment looks back. Raises ValueError, with a
    message for the staff member."""
    text = argument.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        raise ValueError(f"{text[:20]!r} is not a number of days. {_DAYS_HELP}")
    days = int(text)
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"{days} days is out of range. {_DAYS_HELP}")
    return days


def wished_back_in_stock(*, argument: str, now: datetime) -> Any:
    """Customers with a product on a wish list one of whose SKUs came back in stock (none
    available, then some: ``catalog.restocks``) in the last ``argument`` days, and is on sale
    and in stock now. One query however many customers, items and SKUs."""
    since = now - timedelta(days=parse_days(argument))
    back = SKU.objects.filter(
        restocked_at__gte=since,
        is_active=True,
        product__is_active=True,
        stock__gt=F("allocated"),
    ).values_list("product_id", flat=True)
    return WishListItem.objects.filter(sku__product_id__in=back).values_list(
        "wish_list__owner_id", flat=True
    )


SEGMENTS = [
    Segment("wished_in_stock", "Wish-listed an item that is in stock now", wished_in_stock),
    Segment(
        "wished_back_in_stock",
        "Wish-listed a product that came back in stock lately",
        wished_back_in_stock,
        argument="days",
        default=str(DEFAULT_DAYS),
    ),
]
