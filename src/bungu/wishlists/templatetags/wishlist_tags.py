"""Template tags the product page uses for its "save to wish list" form."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url

from bungu.wishlists import services
from bungu.wishlists.models import WishList

register = template.Library()


def sign_in_url(request: HttpRequest) -> str:
    """The sign-in page, coming back to this page afterwards."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"


@register.simple_tag(takes_context=True)
def own_wish_lists(context: template.Context) -> list[WishList]:
    """The signed-in customer's wish lists (one query); none for anonymous visitors."""
    user = context["request"].user
    if not user.is_authenticated:
        return []
    return services.list_wish_lists(owner_id=int(user.pk))


@register.simple_tag(takes_context=True)
def wishlist_sign_in_url(context: template.Context) -> str:
    return sign_in_url(context["request"])
