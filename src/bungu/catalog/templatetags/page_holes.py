from django import template
from django.utils.safestring import SafeString, mark_safe

from bungu.catalog.caching import hole_marker

register = template.Library()


@register.simple_tag
def page_hole(name: str) -> SafeString:
    """Leave a hole for a per-visitor fragment, filled in after the page cache."""
    return mark_safe(hole_marker(name))  # noqa: S308 - a fixed comment, no user data  # nosec
