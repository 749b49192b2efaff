"""The cart badge in the page header: the markup of the "cart-count" hole and of the htmx update."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString


def badge_html(count: int) -> SafeString:
    unit = "item" if count == 1 else "items"
    return format_html('{}<span class="visually-hidden"> {}</span>', count, unit)
