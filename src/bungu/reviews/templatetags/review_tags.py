"""Template tags the product page uses to show reviews without the catalogue importing them."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url

from bungu.catalog.models import Product
from bungu.reviews import services
from bungu.reviews.forms import ReviewForm
from bungu.reviews.models import Review

register = template.Library()


def sign_in_url(request: HttpRequest) -> str:
    """The sign-in page, coming back to this page afterwards."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"


@register.simple_tag
def product_reviews(product: Product) -> list[Review]:
    """The product's published reviews, newest first (one query)."""
    return services.list_product_reviews(product_id=product.id)


@register.simple_tag(takes_context=True)
def own_review(context: template.Context, product: Product) -> Review | None:
    """The signed-in customer's review of the product, whatever its status (one query)."""
    user = context["request"].user
    if not user.is_authenticated:
        return None
    return services.find_review(author_id=int(user.pk), product_id=product.id)


@register.simple_tag
def empty_review_form() -> ReviewForm:
    return ReviewForm(auto_id="review_%s")


@register.simple_tag(takes_context=True)
def review_sign_in_url(context: template.Context) -> str:
    return sign_in_url(context["request"])


@register.filter
def reviewer_name(review: Review) -> str:
    return services.public_name(review.author)


@register.filter
def stars(rating: object) -> str:
    """A rating as five star glyphs, for sighted readers; the number is given as text too."""
    try:
        filled = max(0, min(5, round(float(str(rating)))))
    except ValueError:
        filled = 0
    return "★" * filled + "☆" * (5 - filled)
