"""Showing a product's rating: the catalogue keeps the summary, so it owns how it looks."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def stars(rating: object) -> str:
    """A rating as five star glyphs, for sighted readers; the number is given as text too."""
    try:
        filled = max(0, min(5, round(float(str(rating)))))
    except ValueError:
        filled = 0
    return "★" * filled + "☆" * (5 - filled)
