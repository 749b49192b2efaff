"""The cart badge in the page header: the "cart-count" hole's filling and the htmx update."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from . import services


def badge_html(count: int) -> SafeString:
    unit = "item" if count == 1 else "items"
    return format_html('{}<span class="visually-hidden"> {}</span>', count, unit)


def fill_cart_count(request: HttpRequest) -> str:
    """The "cart-count" hole of a cached page: this visitor's item count."""
    return badge_html(services.count_items(request))
