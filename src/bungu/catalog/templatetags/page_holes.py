from django import template
from django.utils.safestring import SafeString, mark_safe

from bungu.catalog.caching import hole_marker

register = template.Library()


@register.simple_tag
def page_hole(name: str, *args: object) -> SafeString:
    """Leave a hole for a per-visitor fragment, filled in after the page cache; ``args`` are
    the ids or slugs its filler needs (``{% page_hole "review-own" product.id %}``)."""
    # A fixed comment holding only ids and slugs (hole_marker refuses anything else).
    return mark_safe(hole_marker(name, *args))  # noqa: S308  # nosec
